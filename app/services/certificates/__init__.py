"""Electronic certificates (电子证照) under the bureau's one seal, and their registry.

Owns: issuing the licence at 制证 (or on the spot) and the signed 不予行政许可决定书 at a
refusal (``issuing``), their numbers (``numbering``) and printed content (``content``),
delivery at 出件, the licence's status and its history — every change in one function
(``status``) —, the holder's applications about a licence (变更, 延续, 注销: ``lifecycle``),
expiry (``expiry``), the seals ever used (``seals``), the registry's read models
(``registry``) and verification by anyone holding a certificate (``verification``).

Sits below ``casework`` (whose steps call it) and above ``stepping``; signing and drawing are
done by :mod:`app.documents`, which knows nothing of cases.
"""
