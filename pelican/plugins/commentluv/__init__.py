"""Pelican's namespace-plugin entry for commentluv: found by Pelican without ``PLUGINS``, or
named ``PLUGINS = ["commentluv"]``. The plugin is ``commentluv.integrations.pelican``."""

from commentluv.integrations.pelican import register

__all__ = ["register"]
