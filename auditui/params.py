"""The one bad-parameter error of pages and the API: which parameter, what is wrong with it and,
for text with a syntax (a query, a selector), where. The API answers it with a 400 whose body is
``{"error", "param"}`` (+ ``position``), through ``auditui.api_errors.exception_handler``."""

from __future__ import annotations


class ParamError(ValueError):
    def __init__(self, param: str, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.param, self.position = param, position

    def as_dict(self) -> dict:
        payload: dict = {"error": str(self), "param": self.param}
        if self.position is not None:
            payload["position"] = self.position
        return payload
