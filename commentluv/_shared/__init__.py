"""Pure helpers over strings that every room shares: URLs (``urls``) and text (``text``)."""
