"""Drives Tests/Browser/app.html in headless Chromium against a live Gatehouse realm in
cookie mode, as a single-page app on the realm's own origin would run it.

    python3 cookie_mode_in_chromium.py GATEHOUSE_URL /t/TENANT/ENV USERNAME PASSWORD [SCREENSHOTS]

Two local origins front Gatehouse: the first serves the page under the realm's path and
forwards every other request to Gatehouse (the same origin as the realm, as a reverse proxy
would); the second serves the same page only, and its calls to the first are refused by
CORS. Prints one line per check and exits non-zero on the first failure. Chromium runs as
Debian packages it (`chromium`, `chromium-driver`); selenium never downloads a driver.
"""

import http.server
import os
import shutil
import sys
import threading
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE_FILES = {"app.html": "text/html; charset=utf-8", "app.js": "text/javascript; charset=utf-8"}


def serve(upstream, app_prefix):
    """A server on a free port of 127.0.0.1: files under `app_prefix`, the rest forwarded
    to `upstream` (or 404 when there is none)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.route()

        def do_POST(self):
            self.route()

        def do_OPTIONS(self):
            self.route()

        def route(self):
            if self.path.startswith(app_prefix):
                name = self.path[len(app_prefix):].split("?")[0]
                if name in PAGE_FILES:
                    with open(os.path.join(HERE, name), "rb") as f:
                        body = f.read()
                    self.send_response(200)
                    self.send_header("Content-Type", PAGE_FILES[name])
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
            if upstream is None:
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            request = urllib.request.Request(upstream + self.path, data=body, method=self.command)
            for name, value in self.headers.items():
                if name.lower() not in ("host", "connection", "content-length"):
                    request.add_header(name, value)
            try:
                response = urllib.request.urlopen(request, timeout=30)
            except urllib.error.HTTPError as error:
                response = error
            payload = response.read()
            self.send_response(response.status)
            for name, value in response.headers.items():
                if name.lower() not in ("connection", "transfer-encoding", "content-length", "date", "server"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def browser():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium")
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    driver.set_script_timeout(30)
    driver.set_page_load_timeout(30)
    return driver


def shape(answer):
    """An answer without its tokens, for the log: the status and the body's field names."""
    return {"status": answer.get("status"), "fields": sorted(answer.get("body", {})), "error": answer.get("error")}


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        raise SystemExit(1)


def run(driver, script, *arguments):
    """Runs `await <script>` in the page; returns its value."""
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"(async () => {script})(...arguments).then(done, (error) => done({{error: String(error)}}));",
        *arguments,
    )


def main():
    gatehouse, base, username, password = sys.argv[1:5]
    screenshots = sys.argv[5] if len(sys.argv) > 5 else None
    same, same_url = serve(gatehouse, base + "/app/")
    other, other_url = serve(None, base + "/app/")
    driver = browser()
    try:
        driver.get(same_url + base + "/app/app.html")
        run(driver, "window.gatehouse.use(arguments[0])", base)

        login = run(driver, "await window.gatehouse.login(arguments[0], arguments[1])", username, password)
        check(login["status"] == 200 and set(login["body"]) == {"access"}, f"login answers the access token only: {shape(login)}")
        cookies = run(driver, "window.gatehouse.cookies()")
        check("gh_csrf=" in cookies, "the page reads gh_csrf")
        check("gh_refresh" not in cookies, "document.cookie never shows gh_refresh")

        me = run(driver, "await window.gatehouse.me()")
        check(me["status"] == 200 and me["body"].get("username") == username, f"me answers the user: {shape(me)}")

        refused = run(driver, "await window.gatehouse.refresh({withCSRF: false})")
        check(refused["status"] == 403 and refused["body"].get("code") == "csrf_failed", f"the cookie without the CSRF header is refused: {refused}")
        refreshed = run(driver, "await window.gatehouse.refresh()")
        check(refreshed["status"] == 200 and set(refreshed["body"]) == {"access"}, f"refresh through the cookie: {shape(refreshed)}")
        check("gh_refresh" not in run(driver, "window.gatehouse.cookies()"), "document.cookie still never shows gh_refresh")
        check(run(driver, "await window.gatehouse.me()")["status"] == 200, "me with the refreshed access token")
        if screenshots:
            driver.save_screenshot(os.path.join(screenshots, "cookie-mode.png"))

        logout = run(driver, "await window.gatehouse.logout()")
        check(logout["status"] == 205, f"logout: {logout}")
        check("gh_csrf" not in run(driver, "window.gatehouse.cookies()"), "logout expired the cookies")
        after = run(driver, "await window.gatehouse.refresh()")
        check(after["status"] == 400, f"after logout there is no refresh token to use: {after}")

        # The same page on another origin: the realm allows no other origin, so the browser
        # refuses the answers to its page.
        driver.get(other_url + base + "/app/app.html")
        run(driver, "window.gatehouse.use(arguments[0])", same_url + base)
        blocked = run(driver, "await window.gatehouse.login(arguments[0], arguments[1])", username, password)
        check("error" in blocked and "Failed to fetch" in blocked["error"], f"another origin is refused by CORS: {blocked}")
    finally:
        driver.quit()
        same.shutdown()
        other.shutdown()
    print("browser: cookie mode passed in Chromium")


if __name__ == "__main__":
    main()
