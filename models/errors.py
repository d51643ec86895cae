"""Domain errors. Each carries a Chinese message a person can act on; the doors map them."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was broken; `message` is shown to the user as it is."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know that it does."""

    status = 404

    def __init__(self, message: str = "没有找到这条记录，或您无权查看。"):
        super().__init__(message)


class Forbidden(DomainError):
    """The actor may see the thing but not do this to it."""

    status = 403

    def __init__(self, message: str = "您没有权限进行此操作。"):
        super().__init__(message)


class Invalid(DomainError):
    """Input failed validation; `fields` maps a field name to its Chinese reason."""

    status = 422

    def __init__(self, fields: dict[str, str], message: str = "填写的内容有误，请按提示修改。"):
        super().__init__(message)
        self.fields = fields
