"""The admin pages at `/admin` (role admin): the intent-tree editor, publishing and versions,
statistics, the office calendar and queue settings, staff accounts, and the audit log.

`hotline.admin.web.install(app)` adds the routes; `hotline.admin.office` is what other parts read.
"""
