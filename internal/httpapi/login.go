package httpapi

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/vigilsec/vigil/internal/auth"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// cookieName uses the __Host- prefix over TLS, which browsers only accept for Secure,
// host-only cookies with Path=/ (so no subdomain can plant or overwrite it).
func (a *API) cookieName() string {
	if a.cfg.SecureCookies {
		return "__Host-vigil_session"
	}
	return "vigil_session"
}

func (a *API) setSessionCookie(w http.ResponseWriter, secret string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: a.cookieName(), Value: secret, Path: "/", Expires: expires,
		HttpOnly: true, Secure: a.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
}

func (a *API) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: a.cookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: a.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Status    string `json:"status"` // "ok" or "totp_required"
	CSRFToken string `json:"csrf_token,omitempty"`
	User      *me    `json:"user,omitempty"`
}

// allow applies the per-address rate limit of the sign-in endpoints.
func (a *API) allow(w http.ResponseWriter, r *http.Request) bool {
	if ok, wait := a.limiter.allow(clientOf(r).RemoteAddr); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		a.metrics.loginFailures.WithLabelValues("rate_limited").Inc()
		writeError(w, a.log, errf(http.StatusTooManyRequests, "rate_limited", "too many sign-in attempts from your address; wait and retry"))
		return false
	}
	return true
}

func (a *API) login(w http.ResponseWriter, r *http.Request) {
	if !a.allow(w, r) {
		return
	}
	var req loginRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, a.log, err)
		return
	}
	res, err := a.cfg.Auth.Login(r.Context(), req.Username, req.Password, clientOf(r))
	if err != nil {
		a.countFailure(err)
		writeError(w, a.log, err)
		return
	}
	a.setSessionCookie(w, res.SessionSecret, res.Session.ExpiresAt)
	if res.TOTPRequired {
		writeJSON(w, http.StatusOK, loginResponse{Status: "totp_required"})
		return
	}
	a.finishLogin(w, r, res)
}

func (a *API) finishLogin(w http.ResponseWriter, r *http.Request, res *auth.LoginResult) {
	m, err := a.meOf(r, &principal{Actor: userActor(res.User), Role: res.User.Role, User: res.User, Session: res.Session})
	if err != nil {
		writeError(w, a.log, err)
		return
	}
	writeJSON(w, http.StatusOK, loginResponse{Status: "ok", CSRFToken: res.Session.CSRFToken, User: m})
}

func (a *API) countFailure(err error) {
	var locked *auth.LockedError
	switch {
	case errors.As(err, &locked):
		a.metrics.loginFailures.WithLabelValues("locked").Inc()
	case errors.Is(err, auth.ErrBadCredentials):
		a.metrics.loginFailures.WithLabelValues("bad_credentials").Inc()
	case errors.Is(err, auth.ErrBadCode):
		a.metrics.loginFailures.WithLabelValues("bad_code").Inc()
	}
}

type totpRequest struct {
	Code string `json:"code"`
}

func (a *API) loginTOTP(w http.ResponseWriter, r *http.Request) {
	if !a.allow(w, r) {
		return
	}
	var req totpRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, a.log, err)
		return
	}
	c, err := r.Cookie(a.cookieName())
	if err != nil {
		writeError(w, a.log, errf(http.StatusUnauthorized, "unauthorized", "sign in with your password first"))
		return
	}
	res, err := a.cfg.Auth.CompleteTOTP(r.Context(), c.Value, req.Code, clientOf(r))
	if errors.Is(err, auth.ErrBadCode) {
		a.countFailure(err)
		writeError(w, a.log, errf(http.StatusUnauthorized, "unauthorized", err.Error()))
		return
	}
	if err != nil {
		a.countFailure(err)
		writeError(w, a.log, err)
		return
	}
	a.setSessionCookie(w, res.SessionSecret, res.Session.ExpiresAt)
	a.finishLogin(w, r, res)
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(a.cookieName())
	if err != nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	// Logging out is a state change: it needs the session's CSRF token, so a foreign page
	// cannot sign the user out.
	sess, _, err := a.cfg.Auth.SessionUser(r.Context(), c.Value)
	if err == nil {
		got := r.Header.Get("X-CSRF-Token")
		if subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1 {
			writeError(w, a.log, errCSRF)
			return
		}
	}
	if err := a.cfg.Auth.Logout(r.Context(), c.Value); err != nil {
		writeError(w, a.log, err)
		return
	}
	a.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
}

// ipLimiter is a token bucket per client address for the sign-in endpoints; idle buckets
// are dropped so the map stays bounded by the active addresses.
type ipLimiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	every   rate.Limit
	burst   int
	lastGC  time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newIPLimiter(burst int, per time.Duration) *ipLimiter {
	return &ipLimiter{buckets: map[string]*bucket{}, every: rate.Every(per / time.Duration(burst)), burst: burst}
}

func (l *ipLimiter) allow(addr string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.lastGC) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.lastGC = now
	}
	b := l.buckets[addr]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.buckets[addr] = b
	}
	b.seen = now
	res := b.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}
