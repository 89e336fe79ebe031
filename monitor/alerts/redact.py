"""PII masking for everything an alert carries out of the warehouse: emails, phone numbers, street
addresses, and any value of a column that holds names, contacts or addresses.

The check engine masks samples when it stores them; alerts mask again, because a payload is the last
place a value is seen before it leaves: defence in depth, and messages or keys can carry values too.
"""

from __future__ import annotations

# The maskers live in checks.masking (one home for every PII masker); re-exported for the alert code.
from checks.masking import mask_text, mask_value

__all__ = ["mask_text", "mask_value"]
