"""Optional integrations with the Python comment systems, each behind its own extra.

- ``commentluv.integrations.django`` (``commentluv[django]``): an installable app for
  django-contrib-comments;
- ``commentluv.integrations.flask`` (``commentluv[flask]``): ``CommentLuvExt(app)``;
- ``commentluv.integrations.isso`` (``commentluv[isso]``): a subscriber to Isso's
  ``comments.new:before-save``;
- ``commentluv.integrations.pelican`` (``commentluv[pelican]``): a plugin for comments kept
  as files;
- ``commentluv.integrations.celery`` (``commentluv[celery]``): refresh tasks on a Celery
  app, with Redis as the broker and the shared cache;
- asyncio needs no integration: :class:`commentluv.AsyncCommentLuv`.

Importing this package imports no framework; each module imports only its own.
:mod:`commentluv.integrations.common` holds what they share.
"""
