"""Where uploaded files (scanned materials, inspection photos) are kept: a store of bytes under
keys the server makes. The default is a folder under ``instance/``; anything implementing
:class:`BlobStore` (an S3-compatible bucket, say) can take its place. The database keeps what
each file is; the store only its bytes."""
from app.storage.blobs import BlobStore, FolderStore, MissingBlob

__all__ = ["BlobStore", "FolderStore", "MissingBlob"]
