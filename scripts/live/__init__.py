"""What the scripts that drive the real server share: a fresh database with the shipped
diagrams and demo users (``database``), the server and worker as child processes started by
the ``oneseal`` command (``processes``), a small keep-alive JSON client (``client``), the mixed
traffic of bureau users (``traffic``) and the checks afterwards against the audit trail and the
cases' state (``verdict``)."""
