# The one place the version is written: the package metadata (pyproject.toml's
# [tool.setuptools.dynamic]), `commentluv --version` and the User-Agent read it from here. A
# release bumps it, gives it a CHANGELOG.md section and a tag v<version> (docs/deprecation.md).
__version__ = "1.0.0"
