"""The sign-in views: ``login/``, ``callback/``, ``refresh/``, ``logout/`` and ``signin/``.

A thin layer over ``fastcognito.oauth``: it keeps each attempt's state in a signed, short-lived,
HttpOnly cookie (one per attempt, so parallel tabs never collide, and at most
``MAX_PENDING_SIGNINS`` of them), keeps tokens in HttpOnly cookies (``cookies.py``), and turns
every failure into a 4xx (or 502/503) answer (``responses.py``). Nothing is stored in process
memory: the only shared state, the sign-in attempt counters, lives in Django's cache framework.
Every sign-in rotates the CSRF token, as ``django.contrib.auth.login()`` does; passwords and
tokens are kept off Django's error pages.

Each view is a class with hooks a site overrides by subclassing, as mozilla-django-oidc's are:
``get_next_url`` (``LoginView``), ``get_redirect_url`` and ``login_success`` (``CallbackView``),
``login_success`` (``PasswordSignInView``), ``refresh_success`` (``RefreshView``),
``get_logout_url`` and ``logout_success`` (``LogoutView``), and on every view ``login_failure``
(the answer to a failed step) and ``get_config``. The checks, the cookies and the CSRF rotation
stay outside the hooks: a hook shapes an answer, it cannot skip a protection. Mount a subclass
under the same name, e.g. ``path("auth/callback/", MyCallback.as_view(), name="callback")`` in a
URL conf included with the ``fastcognito`` namespace. ``login``, ``callback``, ``refresh``,
``logout`` and ``signin`` are the default views (``LoginView.as_view()``...).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from django.contrib.auth import SESSION_KEY
from django.contrib.auth import logout as auth_logout
from django.core.cache import caches
from django.core.exceptions import DisallowedRedirect
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.request import RawPostDataException
from django.middleware.csrf import rotate_token
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect, requires_csrf_token
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_POST
from django.views.debug import SafeExceptionReporterFilter

from .._constants import MAX_JSON_DEPTH
from .._impl import json_too_deep
from ..exceptions import (
    ConfigurationError,
    DenylistUnavailableError,
    FastCognitoError,
    InvalidCredentialsError,
    InvalidGrantError,
    InvalidStateError,
    JWKSError,
    NotSignedInError,
    SignInRequestError,
    SignInThrottledError,
    SignInUnavailableError,
    TokenError,
    UnsafeRedirectError,
)
from ..oauth import SignedIn
from .conf import fastcognito_settings
from .cookies import (
    clear_token_cookies,
    delete_state_cookie,
    is_state_cookie_name,
    load_state,
    set_state_cookie,
    set_token_cookies,
    stale_state_cookies,
    state_cookie_name,
)
from .hosted_ui import HostedUIConfig, client_address, hosted_ui_config, hosted_ui_config_or_none
from .responses import signed_out_unrecorded_response, signin_error_response, wants_json
from .signin import token_owner, verify_tokens

__all__ = [
    "CallbackView",
    "LoginView",
    "LogoutView",
    "PasswordSignInView",
    "RefreshView",
    "SignInReporterFilter",
    "SignInView",
    "callback",
    "login",
    "logout",
    "refresh",
    "signin",
]

logger = logging.getLogger("fastcognito.django")

MAX_USERNAME_CHARS = 128
MAX_PASSWORD_CHARS = 256
# Room for the longest username and password even with every character escaped in the JSON
# (a non-BMP character is 12 bytes as a surrogate pair of \u escapes); no sign-in needs more.
MAX_SIGNIN_BODY_BYTES = 8 * 1024


# --- what Django's error pages show ------------------------------------------------------------


class SignInReporterFilter(SafeExceptionReporterFilter):
    """What Django's error page (``DEBUG``) and error mails show of a request to a sign-in view.

    Django's own filter stands down under ``DEBUG``; on these views it stays on, so the
    ``sensitive_variables`` and ``sensitive_post_parameters`` of each view hide the password
    and the tokens in every case. Our cookies, whose names Django does not take for secrets,
    are hidden too."""

    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def get_safe_cookies(self, request: HttpRequest) -> dict[str, Any]:
        cookies: dict[str, Any] = super().get_safe_cookies(request)
        config = hosted_ui_config_or_none()
        ours = {fastcognito_settings.COOKIE_NAME}
        if config is not None:
            ours |= {config.access_cookie_name, config.refresh_cookie_name}
        return {
            name: self.cleansed_substitute
            if name in ours or (config is not None and is_state_cookie_name(config, name))
            else value
            for name, value in cookies.items()
        }


_REPORTER_FILTER = SignInReporterFilter()


# --- the views ----------------------------------------------------------------------------------


@method_decorator(sensitive_post_parameters(), name="dispatch")
class SignInView(View):
    """Base of the sign-in views: every failure of a step is an answer with its code
    (``login_failure``), never a 500, and nothing a step handles (the POST data, the local
    variables of the view and of all it calls, our cookies) reaches Django's error page or its
    error mails, under ``DEBUG`` too (``sensitive_post_parameters``, ``sensitive_variables`` and a
    per-request ``exception_reporter_filter``)."""

    # Whether a failure is answered, for a browser navigation, with a small HTML page.
    page_errors: ClassVar[bool] = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Django's hook for a per-request filter of its error page and mails.
        request.exception_reporter_filter = _REPORTER_FILTER
        response: HttpResponse = self._dispatch_hidden(request, *args, **kwargs)
        return response

    @sensitive_variables()
    def _dispatch_hidden(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response: HttpResponse = super().dispatch(request, *args, **kwargs)
            return response
        except ConfigurationError as err:
            logger.error("sign-in is misconfigured: %s", err)
            return self.login_failure(request, err)
        except FastCognitoError as err:
            logger.info("sign-in step %s failed: %s", request.path, err.code)
            return self.login_failure(request, err)

    # --- hooks ---------------------------------------------------------------------------------

    def get_config(self) -> HostedUIConfig:
        """``FASTCOGNITO["HOSTED_UI"]``, parsed; ``ConfigurationError`` (a 503) when it is not set
        or wrong (``manage.py check`` names why)."""
        config = hosted_ui_config()
        if config is None:
            raise ConfigurationError("FASTCOGNITO['HOSTED_UI'] is not set")
        return config

    def login_failure(
        self, request: HttpRequest, error: FastCognitoError, *, status: int | None = None
    ) -> HttpResponse:
        """The answer to a failed step: ``{"detail", "code"}`` with the error's status (or
        ``status``), or a small HTML page for a browser navigation on ``page_errors`` views."""
        return signin_error_response(request, error, page=self.page_errors, status=status)

    # --- shared steps --------------------------------------------------------------------------

    def is_allowed_redirect(self, request: HttpRequest, config: HostedUIConfig, url: str) -> bool:
        """Whether ``url`` is on this site or on an ``ALLOWED_REDIRECT_HOSTS`` host (https when the
        request is), by Django's ``url_has_allowed_host_and_scheme``, and Django can redirect to it
        as it is."""
        # Django checks the stripped value (of at most 2048 characters) but redirects to the
        # value as given, and refuses a redirect longer than 16384 characters: a value padded
        # with spaces would pass here and fail only at the callback, after the sign-in.
        if url != url.strip():
            return False
        allowed = url_has_allowed_host_and_scheme(
            url,
            allowed_hosts={request.get_host(), *config.allowed_redirect_hosts},
            require_https=request.is_secure(),
        )
        return bool(allowed) and _can_redirect_to(url)

    def session_login(self, request: HttpRequest, signed: SignedIn) -> None:
        """With ``REPLICA["SESSION_LOGIN"]``, log the replica user into Django's session too (for
        the admin and session views). Before any cookie is set: a refused user gets no login."""
        replica = fastcognito_settings.user_settings.get("REPLICA")
        if not (isinstance(replica, Mapping) and replica.get("SESSION_LOGIN") is True):
            return
        from .users import session_login

        # The id token carries the e-mail and names; the access token does not. The tokens go
        # along: the session is bound to this sign-in (users.middleware.SessionRefreshMiddleware).
        session_login(request, signed.id_claims or signed.access_claims, signed=signed)


@method_decorator([never_cache, require_GET], name="dispatch")
class LoginView(SignInView):
    """``login/``: start a managed-login sign-in, a redirect to Cognito with PKCE S256, ``state``
    and ``nonce``. ``?next=`` (a path, or a URL on an allowed host) is where the callback returns
    to."""

    page_errors = True

    def get(self, request: HttpRequest) -> HttpResponse:
        config = self.get_config()
        next_url = self.get_next_url(request, config)
        if not self.is_allowed_redirect(request, config, next_url):
            raise UnsafeRedirectError()  # whatever the hook chose: nothing is stored for it
        attempt = config.client.authorization_request()
        response = HttpResponseRedirect(attempt.url)
        for name in stale_state_cookies(request, config):
            delete_state_cookie(request, response, config, name)
        set_state_cookie(request, response, config, attempt, next_url)
        return response

    def get_next_url(self, request: HttpRequest, config: HostedUIConfig) -> str:
        """Where the sign-in returns to: ``?next=``, else ``LOGIN_REDIRECT_URL``. A target that is
        not allowed is refused (``UnsafeRedirectError``, 400), never followed."""
        next_url = request.GET.get("next") or config.login_redirect_url
        if not self.is_allowed_redirect(request, config, next_url):
            raise UnsafeRedirectError()
        return next_url


@method_decorator([never_cache, require_GET, requires_csrf_token], name="dispatch")
class CallbackView(SignInView):
    """``callback/``: back from Cognito, check ``state``, exchange the code with the verifier,
    verify both tokens (with the nonce), set the cookies, and go to ``next``. All of it, or
    nothing; the attempt's state cookie is used once, whatever the outcome.

    ``requires_csrf_token``: the sign-in rotates the CSRF token, and the new one reaches the
    browser even without ``CsrfViewMiddleware``."""

    page_errors = True

    def get(self, request: HttpRequest) -> HttpResponse:
        config = self.get_config()
        state = request.GET.get("state", "")
        cookie_name = state_cookie_name(request, config, state) if state else None
        try:
            response = self._sign_in(request, config, state, cookie_name)
        except FastCognitoError as err:
            logger.info("sign-in callback failed: %s", err.code)
            response = self.login_failure(request, err)
        if cookie_name is not None and cookie_name in request.COOKIES:
            # Used once, whatever the outcome: a replayed callback finds no state.
            delete_state_cookie(request, response, config, cookie_name)
        return response

    def _sign_in(
        self, request: HttpRequest, config: HostedUIConfig, state: str, cookie_name: str | None
    ) -> HttpResponse:
        if cookie_name is None:
            raise InvalidStateError("the callback has no state")
        payload = load_state(request, config, cookie_name)
        expected = payload.get("s")
        if not (isinstance(expected, str) and hmac.compare_digest(expected.encode(), state.encode())):
            raise InvalidStateError("the state does not match this browser's sign-in attempt")
        config.client.check_callback_error(request.GET)
        code = request.GET.get("code")
        if not code:
            raise SignInRequestError("the callback has no code")
        tokens = config.client.exchange_code(code, str(payload["v"]))
        signed = verify_tokens(config, tokens, str(payload["n"]))
        next_url = str(payload.get("next") or config.login_redirect_url)
        # The answer is built before the session login and the cookies: if it cannot be, nothing
        # of the sign-in is kept.
        try:
            response = self.login_success(request, config, signed, next_url)
        except DisallowedRedirect as err:
            raise UnsafeRedirectError() from err
        self.session_login(request, signed)
        set_token_cookies(request, response, config, signed)
        # A new sign-in, a new CSRF token: one planted in this browser before no longer works.
        rotate_token(request)
        return response

    def login_success(
        self, request: HttpRequest, config: HostedUIConfig, signed: SignedIn, next_url: str
    ) -> HttpResponse:
        """The answer to a sign-in that succeeded: a redirect to ``get_redirect_url``. It is built
        before anything is kept; then the session login (``REPLICA["SESSION_LOGIN"]``) is done,
        the token cookies are set on it, and the CSRF token rotated."""
        return HttpResponseRedirect(self.get_redirect_url(request, config, next_url))

    def get_redirect_url(self, request: HttpRequest, config: HostedUIConfig, next_url: str) -> str:
        """Where a signed-in browser goes: ``next_url`` (from ``login/``) when it is still allowed,
        else ``LOGIN_REDIRECT_URL``."""
        return next_url if self.is_allowed_redirect(request, config, next_url) else config.login_redirect_url


@method_decorator([never_cache, require_POST, csrf_protect], name="dispatch")
class RefreshView(SignInView):
    """``refresh/``: new tokens from the refresh cookie. A refused refresh token clears every
    cookie (401)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        config = self.get_config()
        refresh_token = request.COOKIES.get(config.refresh_cookie_name)
        if not refresh_token:
            raise NotSignedInError()
        previous_user = token_owner(config, request.COOKIES.get(config.access_cookie_name))
        try:
            signed = verify_tokens(config, config.client.refresh(refresh_token))
        except (InvalidGrantError, TokenError) as err:
            # 401, not the callback's 400: the credential (the refresh token) is what was refused.
            logger.info("sign-in step %s failed: %s", request.path, err.code)
            response = self.login_failure(request, err, status=401)
            clear_token_cookies(request, response, config)
            return response
        response = self.refresh_success(request, config, signed)
        set_token_cookies(request, response, config, signed)
        if previous_user is not None and previous_user != signed.access_claims.get("sub"):
            rotate_token(request)  # the refresh token of another user than the access cookie's
        return response

    def refresh_success(self, request: HttpRequest, config: HostedUIConfig, signed: SignedIn) -> HttpResponse:
        """The answer to a refresh that succeeded (the cookies are set on it afterwards):
        ``{"expires_in", "rotated"}``."""
        tokens = signed.tokens
        return JsonResponse({"expires_in": tokens.expires_in, "rotated": tokens.refresh_token is not None})


@method_decorator([never_cache, require_POST, csrf_protect], name="dispatch")
class LogoutView(SignInView):
    """``logout/``: revoke the refresh token, clear the cookies, and end the managed-login session
    at Cognito's ``/logout``. A failed revocation still signs this browser out, and is logged.

    With ``DENYLIST``, a sign-out whose revocation could not be stored (the cache is down or
    full) is never reported as a success: every other step is done, and the answer is a 503
    ``denylist_unavailable`` that still leads on to Cognito's ``/logout``."""

    page_errors = True

    def post(self, request: HttpRequest) -> HttpResponse:
        config = self.get_config()
        unrevoked = _revoke_access_token(request, config)
        refresh_token = request.COOKIES.get(config.refresh_cookie_name)
        if refresh_token:
            try:
                config.client.revoke(refresh_token)
            except FastCognitoError as err:  # our messages never hold a token
                logger.warning("the refresh token could not be revoked at sign-out (%s): %s", err.code, err)
            except Exception as err:  # noqa: BLE001  (the sign-out goes on, whatever revoke raised)
                # Only the class: the text of an error we did not write may hold the token.
                logger.error("the refresh token could not be revoked at sign-out: %s", type(err).__name__)
        _session_logout(request)
        logout_url = self.get_logout_url(request, config)
        if unrevoked is not None:
            # Signed out here and at Cognito, but the access token stays valid until it expires.
            response = signed_out_unrecorded_response(request, unrevoked, logout_url)
        else:
            response = self.logout_success(request, config, logout_url)
        clear_token_cookies(request, response, config)
        return response

    def get_logout_url(self, request: HttpRequest, config: HostedUIConfig) -> str:
        """Cognito's ``/logout``, which ends the managed-login session and returns to ``LOGOUT_URI``."""
        return config.client.logout_url(config.logout_uri)

    def logout_success(self, request: HttpRequest, config: HostedUIConfig, logout_url: str) -> HttpResponse:
        """The answer to a sign-out (the cookies are cleared on it afterwards): a redirect to
        ``logout_url``, or ``{"logout_url"}`` for a client that asked for JSON."""
        if wants_json(request):
            return JsonResponse({"logout_url": logout_url})
        return HttpResponseRedirect(logout_url)


@method_decorator([never_cache, require_POST, csrf_protect], name="dispatch")
class PasswordSignInView(SignInView):
    """``signin/``: password sign-in, ``{"username", "password"}`` as JSON, through ``InitiateAuth``.

    Sets the same cookies as the callback. Wrong passwords and unknown users get the same
    answer. Each attempt is counted before Cognito is called, per (user name, address) and per
    address, in Django's cache; past a limit the answer is 429, and with the cache down 503.
    """

    def post(self, request: HttpRequest) -> HttpResponse:
        config = self.get_config()
        username, password = _credentials(request)
        cache = caches[config.cache_alias]
        pair_key, address_key = _throttle_keys(request, config, username)
        # Counted first, atomically (django-axes's order): concurrent attempts each take their
        # own count, so no more than the limit ever reach InitiateAuth.
        _count_attempt(
            config,
            cache,
            ((pair_key, config.signin_max_failures), (address_key, config.signin_max_failures_per_address)),
        )
        try:
            tokens = config.client.initiate_auth(username, password)
        except InvalidCredentialsError:
            raise  # a wrong password: it stays counted
        except Exception:
            # A challenge means the password was right; Cognito down tested nothing.
            _uncount(cache, (pair_key, address_key))
            raise
        _forget(cache, pair_key)
        _uncount(cache, (address_key,))
        signed = verify_tokens(config, tokens)
        response = self.login_success(request, config, signed)  # before anything is kept
        self.session_login(request, signed)
        set_token_cookies(request, response, config, signed)
        # A new sign-in, a new CSRF token: one planted in this browser before no longer works.
        rotate_token(request)
        return response

    def login_success(self, request: HttpRequest, config: HostedUIConfig, signed: SignedIn) -> HttpResponse:
        """The answer to a password sign-in that succeeded (built before the session login; the
        cookies are set on it afterwards, and the CSRF token rotated): ``{"expires_in"}``."""
        return JsonResponse({"expires_in": signed.tokens.expires_in})


login = LoginView.as_view()
callback = CallbackView.as_view()
refresh = RefreshView.as_view()
logout = LogoutView.as_view()
signin = PasswordSignInView.as_view()


# --- redirects ----------------------------------------------------------------------------------


def _can_redirect_to(url: str) -> bool:
    """Whether Django builds a redirect to ``url`` (its length and scheme limits)."""
    try:
        HttpResponseRedirect(url)
    except (DisallowedRedirect, ValueError):
        return False
    return True


# --- sign-out -----------------------------------------------------------------------------------


def _session_logout(request: HttpRequest) -> None:
    session = getattr(request, "session", None)
    if session is not None and SESSION_KEY in session:
        auth_logout(request)


def _revoke_access_token(request: HttpRequest, config: HostedUIConfig) -> JWKSError | None:
    """With ``FASTCOGNITO["DENYLIST"]``, put the signed-out access token's ``origin_jti`` on it:
    every access and id token of this sign-in, copies held elsewhere included, is refused from now
    on. A token that does not verify (expired, already revoked) has nothing left to refuse.

    Returns why a token that may still be valid could not be revoked (``denylist_unavailable``:
    the denylist could not be read or written; ``jwks_unavailable``: the keys could not be had),
    or ``None``. Never raises: the sign-out goes on regardless."""
    verifier = config.access_verifier
    access_token = request.COOKIES.get(config.access_cookie_name)
    if verifier.denylist is None or not access_token:
        return None
    failure: JWKSError
    try:
        verifier.revoke(verifier.verify(access_token))
        return None
    except TokenError:
        return None
    except JWKSError as err:  # DenylistUnavailableError included
        failure = err
    except Exception as err:  # noqa: BLE001  (a denylist of the user's may raise anything)
        failure = DenylistUnavailableError(f"the revocation could not be stored: {type(err).__name__}")
    # Our messages never hold a token, and neither does this line.
    logger.error(
        "the access token could not be revoked at sign-out (%s): %s", failure.code, failure.message
    )
    return failure


# --- password sign-in ------------------------------------------------------------------------


def _address_bucket(address: str) -> str:
    """What the per-address counters count: the address, or for IPv6 its /64 (one subscriber's
    network, in which a host can take any of 2**64 addresses)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return address


def _throttle_keys(request: HttpRequest, config: HostedUIConfig, username: str) -> tuple[str, str]:
    """The two counters of an attempt, as django-axes's ``AXES_LOCKOUT_PARAMETERS =
    [["username", "ip_address"], "ip_address"]``: this user name from this address, and this
    address. Never the user name alone, which would let anyone lock its owner out."""
    address = _address_bucket(client_address(request, config.trusted_proxy_count))
    # Hashed: cache keys must not carry user names or addresses in clear, and stay short.
    pair = hashlib.sha256(f"{username.casefold()}\0{address}".encode()).hexdigest()[:32]
    source = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"fastcognito:signin:pair:{pair}", f"fastcognito:signin:addr:{source}"


def _credentials(request: HttpRequest) -> tuple[str, str]:
    if request.content_type != "application/json":
        raise SignInRequestError("the body must be application/json")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0  # what Django reads for it too
    if declared > MAX_SIGNIN_BODY_BYTES:
        raise SignInRequestError("the body is too large")
    try:
        raw = request.body
    except RawPostDataException as err:
        raise SignInRequestError("the body is not JSON") from err
    if len(raw) > MAX_SIGNIN_BODY_BYTES:
        raise SignInRequestError("the body is too large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SignInRequestError("the body is not UTF-8 JSON") from err
    # Every JSON parser at hand recurses once per level: a deep body would be a RecursionError.
    if json_too_deep(text):
        raise SignInRequestError(f"the body nests arrays or objects more than {MAX_JSON_DEPTH} deep")
    try:
        body = json.loads(text or "null")
    except ValueError as err:
        raise SignInRequestError("the body is not JSON") from err
    username = body.get("username") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    if not (
        isinstance(username, str)
        and isinstance(password, str)
        and 0 < len(username) <= MAX_USERNAME_CHARS
        and 0 < len(password) <= MAX_PASSWORD_CHARS
    ):
        raise SignInRequestError('the body must be {"username": "...", "password": "..."}')
    return username, password


def _count_attempt(config: HostedUIConfig, cache: Any, limits: tuple[tuple[str, int], ...]) -> None:
    over = False
    for key, limit in limits:
        over = _increment(config, cache, key) > limit or over
    if over:
        raise SignInThrottledError(retry_after=config.signin_failure_window)


def _increment(config: HostedUIConfig, cache: Any, key: str) -> int:
    """``add(key, 0)`` then ``incr(key)``: atomic on Redis and Memcached, so no worker loses a
    count. A cache that cannot count refuses the sign-in (503) rather than let it run uncounted."""
    window = config.signin_failure_window
    try:
        for _ in range(2):
            cache.add(key, 0, timeout=window)
            try:
                count = int(cache.incr(key))
            except ValueError:
                continue  # gone between add() and incr() (it expired), or a cache dropping writes
            if count == 1:
                # Ours, fresh: make sure it expires even if incr() created it (Django's Redis
                # incr() checks the key exists, then increments: it may expire in between).
                cache.touch(key, window)
            return count
    except Exception as err:  # each backend raises its own errors (redis, pymemcache, OSError)
        logger.warning("sign-in refused: the cache %r of its throttle cannot answer (%s)",
                       config.cache_alias, type(err).__name__)
        raise SignInUnavailableError("the sign-in throttle's cache cannot answer") from err
    logger.warning("sign-in refused: the cache %r of its throttle keeps no counter", config.cache_alias)
    raise SignInUnavailableError("the sign-in throttle's cache keeps no counter")


def _uncount(cache: Any, keys: tuple[str, ...]) -> None:
    """Give back an attempt that was not a wrong password. A failure here only over-counts."""
    for key in keys:
        try:
            if int(cache.decr(key)) <= 0:
                cache.delete(key)  # nothing left to count (and never a counter without expiry)
        except Exception:  # gone (expired), or the cache is down: over-counting only slows
            pass


def _forget(cache: Any, key: str) -> None:
    try:
        cache.delete(key)
    except Exception:  # the cache is down: the counter expires with its window
        pass
