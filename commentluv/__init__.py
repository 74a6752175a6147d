"""commentluv: a commenter's site URL in, their latest blog post and a backlink out."""
import logging

from ._version import __version__

logging.getLogger("commentluv").addHandler(logging.NullHandler())

__all__ = ["__version__"]
