"""The two browser pages of the sign-in example: a login page and a signed-in page.

Plain HTML without templates, to keep the example small. The tokens never reach JavaScript:
they live in HttpOnly cookies set by fastcognito's views; the pages only link or post to them.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.http import require_GET

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto}}button,a.button{{padding:.5rem 1rem}}</style>
</head><body><h1>{title}</h1>{body}</body></html>"""


def _page(title: str, body: str) -> HttpResponse:
    response = HttpResponse(PAGE.format(title=escape(title), body=body))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def login_page(request: HttpRequest) -> HttpResponse:
    """Sign in through Cognito's managed login (a link), or with a password (JSON to signin/)."""
    if request.user.is_authenticated:
        return HttpResponseRedirect(reverse("signed-in"))
    login_url = f"{reverse('fastcognito:login')}?next={reverse('signed-in')}"
    csrf = escape(get_token(request))
    body = f"""
<p><a class="button" id="managed-login" href="{escape(login_url)}">Sign in with Cognito</a></p>
<h2>Or with a password</h2>
<form id="password-form">
  <label>Username <input name="username" autocomplete="username" required></label><br>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label><br>
  <button type="submit">Sign in</button> <span id="error" role="alert"></span>
</form>
<script>
document.getElementById("password-form").addEventListener("submit", async (event) => {{
  event.preventDefault();
  const form = new FormData(event.target);
  const answer = await fetch("{reverse('fastcognito:signin')}", {{
    method: "POST", credentials: "same-origin",
    headers: {{"Content-Type": "application/json", "X-CSRFToken": "{csrf}"}},
    body: JSON.stringify({{username: form.get("username"), password: form.get("password")}}),
  }});
  if (answer.ok) {{ window.location = "{reverse('signed-in')}"; }}
  else {{ document.getElementById("error").textContent = (await answer.json()).detail; }}
}});
</script>"""
    return _page("Sign in", body)


@require_GET
def signed_in_page(request: HttpRequest) -> HttpResponse:
    """Who is signed in (from the verified access token), with refresh and sign-out buttons."""
    user = request.user
    if not user.is_authenticated:
        return HttpResponseRedirect(reverse("login-page"))
    csrf = escape(get_token(request))
    body = f"""
<p id="signed-in-as">Signed in as <strong>{escape(user.username)}</strong></p>
<p>Groups: {escape(", ".join(sorted(user.groups)) or "none")}</p>
<form method="post" action="{reverse('fastcognito:refresh')}">
  <input type="hidden" name="csrfmiddlewaretoken" value="{csrf}"><button>Refresh the tokens</button>
</form>
<form method="post" action="{reverse('fastcognito:logout')}">
  <input type="hidden" name="csrfmiddlewaretoken" value="{csrf}"><button id="sign-out">Sign out</button>
</form>"""
    return _page("Signed in", body)


@require_GET
def signed_out_page(request: HttpRequest) -> HttpResponse:
    """Where Cognito's /logout returns to (HOSTED_UI["LOGOUT_URI"])."""
    return _page("Signed out", f'<p id="signed-out">You are signed out. <a href="{reverse("login-page")}">Sign in</a></p>')
