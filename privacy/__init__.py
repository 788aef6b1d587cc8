"""Citizens' personal data: found and masked where it is not needed, kept no longer than the office decides.

`privacy.masking.mask(text, lang)` is the one way any part of Hotline hides personal data in text.
"""
