"""Every failure becomes a calm Chinese page (or JSON), logged with a request id; no stack traces."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from infra import database
from infra.request_ids import new_request_id
from infra.shared_state import SharedStateUnavailable
from models.errors import DomainError, Invalid

log = logging.getLogger("guanhu.web")

HTTP_MESSAGES = {
    400: "请求有误，请检查后重试。",
    401: "请先登录。",
    403: "您没有权限进行此操作。",
    404: "页面不存在，或您无权查看。",
    405: "不支持这种请求方式。",
    409: "数据已被他人修改，请刷新后重试。",
    413: "上传的内容过大。",
    415: "不支持这种文件类型。",
    422: "填写的内容有误，请按提示修改。",
    429: "操作太频繁，请稍后再试。",
    500: "系统出了点问题，我们已记录下来，请稍后再试。",
    503: "系统繁忙，请稍后再试。",
}


def init_app(app: Flask) -> None:
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    for unavailable in DATABASE_UNAVAILABLE:
        app.register_error_handler(unavailable, _database_unavailable)
    app.register_error_handler(Exception, _unexpected_error)


def request_id() -> str:
    return g.get("request_id", "-")


def _assign_request_id() -> None:
    g.request_id = new_request_id(request.headers.get("X-Request-Id", ""))


def _echo_request_id(response: Response) -> Response:
    response.headers["X-Request-Id"] = request_id()
    return response


def error_response(status: int, message: str, fields: dict[str, str] | None = None):
    wants_json = request.path.startswith("/api/") or (
        request.accept_mimetypes.best_match(["application/json", "text/html"]) == "application/json"
    )
    if wants_json:
        body = {"error": message, "request_id": request_id()}
        if fields:
            body["fields"] = fields
        return jsonify(body), status
    return render_template("error.html", status=status, message=message, fields=fields or {}), status


def _domain_error(error: DomainError):
    return error_response(error.status, error.message, error.fields if isinstance(error, Invalid) else None)


def _csrf_error(_error: CSRFError):
    return error_response(400, "页面已过期或来源不明，请刷新页面后重新提交。")


DATABASE_UNAVAILABLE = (*database.UNAVAILABLE, SharedStateUnavailable)  # or the shared store
RETRY_AFTER_SECONDS = "30"


def _database_unavailable(error: Exception):
    log.error("database unavailable, request_id=%s path=%s: %s", request_id(), request.path, str(error).splitlines()[0])
    body, status = error_response(503, HTTP_MESSAGES[503])
    return body, status, {"Retry-After": RETRY_AFTER_SECONDS}


def _http_error(error: HTTPException):
    original = getattr(error, "original_exception", None)  # raised where only a 500 could be made
    if isinstance(original, DATABASE_UNAVAILABLE):
        return _database_unavailable(original)
    status = error.code or 500
    return error_response(status, HTTP_MESSAGES.get(status, HTTP_MESSAGES[400]))


def _unexpected_error(error: Exception):
    log.exception("unhandled error, request_id=%s path=%s", request_id(), request.path, exc_info=error)
    return error_response(500, HTTP_MESSAGES[500] + f"（编号 {request_id()}）")
