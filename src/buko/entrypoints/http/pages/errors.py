"""The page a browser gets instead of the API's JSON error, in the interface language."""
from __future__ import annotations

from buko.entrypoints.http.pages.i18n import _
from buko.entrypoints.http.pages.web import render_string

_TEXTS = {
    400: (lambda: _("This request cannot be understood"), lambda: _("Something in the address or the form is not right.")),
    401: (lambda: _("Please log in"), lambda: _("You need to log in to see this page.")),
    402: (lambda: _("Your plan is used up"), lambda: _("Your plan does not allow another book this month. It renews at the start of next month.")),
    403: (lambda: _("Not allowed"), lambda: _("You do not have permission to do this. If you reloaded an old page, go back and try again.")),
    404: (lambda: _("Page not found"), lambda: _("There is nothing here, or it belongs to someone else.")),
    405: (lambda: _("Not allowed"), lambda: _("This page cannot be used that way.")),
    409: (lambda: _("This changed meanwhile"), lambda: _("The book is not in a state that allows this. Reload the page to see where it is.")),
    413: (lambda: _("Too large"), lambda: _("What you sent is too large.")),
    422: (lambda: _("This cannot be done"), lambda: _("Some of the values are not valid.")),
    429: (lambda: _("Too many attempts"), lambda: _("Please wait a moment and try again.")),
    500: (lambda: _("Something went wrong"), lambda: _("Something went wrong on our side. It has been logged; please try again.")),
}


def error_page(status: int, code: str, message: str, details=None) -> str:
    heading, explanation = _TEXTS.get(status, _TEXTS[500 if status >= 500 else 400])
    text = explanation()
    if status == 429 and isinstance(details, dict) and details.get("retry_after"):
        text = _("Please wait %(seconds)s seconds and try again.", seconds=details["retry_after"])
    return render_string("error.html", status=status, heading=heading(), explanation=text, code=code)
