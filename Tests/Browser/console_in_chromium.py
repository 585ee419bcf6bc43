"""Drives the operators' console (/console/) in headless Chromium against a live Gatehouse.

    python3 console_in_chromium.py GATEHOUSE_URL GLOBAL_KEY SCOPED_KEY SCOPED_TENANT SCREENSHOTS [PICTURE]

GATEHOUSE_URL serves tenant SCOPED_TENANT with environment `prod` and user alice (password
`pw`); SCOPED_KEY is an admin key limited to that tenant. The run signs in, creates a tenant
and a user whose names hold markup, rotates a key ring staged and activates the new key,
edits settings (a refusal shown beside its field), revokes users, finds the actions in the
audit log, watches the live chart move, goes offline and back, deletes a tenant with the
keyboard alone, reads the console at 400 px, and signs in with the scoped key and a wrong
one. Throughout, no markup may run and the key may never reach the URL, cookies, web
storage or the browser's log.
Each page's screenshot goes to SCREENSHOTS; PICTURE, when given, gets the key ring's for the
README. Prints one line per check and exits non-zero on the first failure. Chromium and its
driver are Debian's (`chromium`, `chromium-driver`); selenium never downloads a driver.
"""

import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

MARKUP_TENANT = '<img src=x onerror="window.__pwned=1">Acme<script>window.__pwned=2</script>'
MARKUP_USER = '<img src=x onerror=window.__pwned=3><script>window.__pwned=4</script>'


def browser():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1200,900"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    driver.set_script_timeout(30)
    driver.set_page_load_timeout(30)
    return driver


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        raise SystemExit(1)


class Console:
    def __init__(self, driver, url, keys, screenshots):
        self.driver = driver
        self.url = url
        self.keys = keys
        self.screenshots = screenshots
        self.log = []

    def wait(self, condition, what, timeout=20):
        try:
            # The pages redraw lists after each change: an element found just before may be gone.
            ignored = (NoSuchElementException, StaleElementReferenceException)
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1, ignored_exceptions=ignored).until(lambda _: condition())
        except TimeoutException:
            status = self.text("#status")
            check(False, f"{what} (waited {timeout} s; status: {status!r})")

    def js(self, script, *arguments):
        return self.driver.execute_script(script, *arguments)

    def find(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def all(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def attributes(self, selector, name):
        """`name` of every element matching `selector`, read at one instant (a redraw cannot interleave)."""
        return self.js("return [...document.querySelectorAll(arguments[0])].map((e) => e.getAttribute(arguments[1]))", selector, name)

    def text(self, selector):
        found = self.all(selector)
        return found[0].text if found else ""

    def go(self, hash_):
        self.js("location.hash = arguments[0]", hash_)

    def fill(self, selector, value):
        element = self.find(selector)
        element.clear()
        element.send_keys(value)
        return element

    def confirm(self, typed=None):
        self.wait(lambda: self.all("dialog[open]"), "a confirmation opens")
        dialog = self.find("dialog[open]")
        check(dialog.find_element(By.CSS_SELECTOR, ".consequence").text.strip() != "", f"the confirmation says what happens: {dialog.find_element(By.CSS_SELECTOR, '.consequence').text!r}")
        if typed is not None:
            check(not self.find("#confirm-yes").is_enabled(), "the confirm button waits for the typed text")
            self.find("#confirm-typed").send_keys(typed)
        self.find("#confirm-yes").click()
        self.wait(lambda: not self.all("dialog[open]"), "the confirmation closes")

    def notice(self, contains, what):
        self.wait(lambda: contains in self.text("#notice"), f"{what} (notice contains {contains!r})")

    def shot(self, name):
        path = os.path.join(self.screenshots, name)
        self.driver.save_screenshot(path)
        check(os.path.getsize(path) > 0, f"screenshot {name}")

    def clean(self, where):
        """Nothing ran from the data, and the key is nowhere it could outlive the tab."""
        check(self.js("return typeof window.__pwned") == "undefined", f"{where}: no markup from the API ran")
        check(self.js("return localStorage.length + sessionStorage.length") == 0, f"{where}: web storage is empty")
        check(self.js("return document.cookie") == "", f"{where}: no cookie")
        url = self.driver.current_url
        page = self.js("return document.documentElement.outerHTML")
        for key in self.keys:
            check(key not in url and key[:20] not in url, f"{where}: the key is not in the URL")
            check(key not in page, f"{where}: the key is not in the page")
        self.log += self.driver.get_log("browser")

    def sign_in(self, key, tenant=""):
        self.fill("#admin-key", key)
        self.fill("#scope-tenant", tenant)
        self.find("#sign-in-button").click()


def main():
    url, global_key, scoped_key, scoped_tenant, screenshots = sys.argv[1:6]
    picture = sys.argv[6] if len(sys.argv) > 6 else None
    driver = browser()
    console = Console(driver, url, [global_key, scoped_key], screenshots)
    try:
        run(console, url, global_key, scoped_key, scoped_tenant, picture)
    finally:
        driver.quit()
    print("browser: console passed in Chromium")


def run(c, url, global_key, scoped_key, scoped_tenant, picture):
    d = c.driver
    d.get(url + "/console")
    check(d.current_url == url + "/console/", f"/console moves to /console/: {d.current_url}")
    check(d.title == "Gatehouse console", "the page loads")
    check(d.switch_to.active_element.get_attribute("id") == "admin-key", "the key field has the focus")
    c.shot("sign-in.png")

    # A wrong key: 401, said beside the key field.
    c.sign_in("gh_00000000000000000000000000000000_wrong")
    c.wait(lambda: "refused" in c.text("#admin-key-error"), "a refused key is said beside its field")
    check(c.find("#nav").get_attribute("hidden") is not None, "still signed out")

    # --- Tenants: create one whose name holds markup.
    c.sign_in(global_key)
    c.wait(lambda: c.all("#create-tenant"), "signed in, the tenants page shows")
    check(c.find("#admin-key").get_attribute("value") == "", "the key field is emptied")
    c.fill("#create-tenant [name=slug]", "acme")
    c.fill("#create-tenant [name=name]", MARKUP_TENANT)
    c.find("#create-tenant button[type=submit]").click()
    c.notice("Tenant acme created", "tenant created")
    c.wait(lambda: c.all('tr[data-slug="acme"]'), "the new tenant is listed")
    check(c.find('tr[data-slug="acme"] .tenant-name').text == MARKUP_TENANT, "the tenant's name shows as text, markup and all")
    check(not c.all("#tenant-list img") and not c.all("#tenant-list script"), "no element was made from the name")
    c.fill("#create-tenant [name=slug]", "acme")
    c.find("#create-tenant button[type=submit]").click()
    c.wait(lambda: c.text("#create-tenant [data-field=slug] .field-error") != "", "a taken slug is said beside the slug field")
    c.shot("tenants.png")
    c.clean("tenants")

    # --- Settings: a refusal beside its field, then a change saved.
    c.go("#/t/acme/e/prod/settings")
    c.wait(lambda: c.all("#settings-form [name=leeway]"), "the settings form shows")
    c.fill("#settings-form [name=leeway]", "9999")
    c.find("#settings-save").click()
    c.wait(lambda: c.text("[data-field=leeway] .field-error") != "", "the refused leeway is said beside its field")
    check(c.find("#settings-form [name=leeway]").get_attribute("aria-invalid") == "true", "the leeway field is marked invalid")
    check(c.text("[data-field=access_token_lifetime] .field-error") == "", "no other field is blamed")
    c.shot("settings-error.png")
    c.fill("#settings-form [name=leeway]", "10")
    c.fill("#settings-form [name=access_token_lifetime]", "600")
    c.fill("#settings-form [name=refresh_token_lifetime]", "7200")
    c.find("#settings-save").click()
    c.notice("Saved", "settings saved")
    check(c.find("#settings-form [name=access_token_lifetime]").get_attribute("value") == "600", "the saved value shows")
    c.shot("settings.png")

    # --- Key ring: a staged rotation with activate_at, then activation by hand.
    c.go("#/t/acme/e/prod/keys")
    c.wait(lambda: c.all('tr[data-state="active"]'), "the key ring shows its active key")
    first = c.find('tr[data-state="active"]').get_attribute("data-kid")
    check(c.all("svg.timeline rect.span-active"), "the timeline draws the active span")
    c.js("arguments[0].value = arguments[1]", c.find("#rotate-activate-at"), time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() + 3 * 3600)))
    c.find("#rotate-submit").click()
    c.confirm()
    c.notice("as next", "staged rotation")
    c.wait(lambda: c.all('tr[data-state="next"]'), "the staged key is listed as next")
    staged = c.find('tr[data-state="next"]').get_attribute("data-kid")
    check(c.all("svg.timeline rect.span-next") and c.all("svg.timeline path.mark-activation"), "the timeline shows the next span and its scheduled activation")
    c.shot("keys-staged.png")
    if picture:
        c.js("window.scrollTo(0, 0)")
        d.save_screenshot(picture)
    c.find(f'tr[data-kid="{staged}"] button[aria-label^="Activate"]').click()
    c.confirm()
    c.notice("Activate", "activation")
    c.wait(lambda: c.all(f'tr[data-kid="{staged}"][data-state="active"]'), "the staged key is active")
    check(c.all(f'tr[data-kid="{first}"][data-state="retiring"]'), "the old key is retiring")
    check(c.all("svg.timeline rect.span-retiring") and c.all("svg.timeline path.mark-retention-end"), "the timeline shows retiring and the end of retention")
    c.shot("keys.png")
    c.clean("keys")

    # --- Users: one whose name holds markup, and bob; then revoke both.
    c.go("#/t/acme/users")
    c.wait(lambda: c.all("#create-user"), "the users page shows")
    c.wait(lambda: "No users yet" in c.text("#user-list"), "an empty tenant says so")
    for name in (MARKUP_USER, "bob"):
        c.fill("#create-user [name=username]", name)
        c.fill("#create-user [name=password]", "a long password")
        c.find("#create-user button[type=submit]").click()
        c.wait(lambda: len(c.all("#user-list tr[data-username]")) >= (1 if name == MARKUP_USER else 2), f"user {name!r} is listed")
    check(any(cell.text == MARKUP_USER for cell in c.all("#user-list .username")), "the username shows as text, markup and all")
    c.fill("#find-username", "bob")
    c.find("#find-user button").click()
    c.wait(lambda: c.attributes("#user-list tr[data-username]", "data-username") == ["bob"], "search finds bob alone")
    c.find('tr[data-username="bob"] button').click()
    c.wait(lambda: c.all("#edit-user"), "the user editor opens")
    c.fill("#edit-user [name=claims]", "[1]")
    c.find("#edit-user button[type=submit]").click()
    c.wait(lambda: c.text("#edit-user [data-field=claims] .field-error") != "", "claims that are not an object are refused beside the field")
    c.fill("#edit-user [name=claims]", '{"plan": "pro"}')
    c.fill("#edit-user [name=role]", "staff")
    c.find("#edit-user button[type=submit]").click()
    c.notice("Saved bob", "role and claims saved")
    c.shot("users.png")
    c.clean("users")

    c.go("#/t/acme/revocations")
    c.wait(lambda: c.all("#revoke-form"), "the revocations page shows")
    c.fill("#revoke-form [name=usernames]", f"bob\n{MARKUP_USER}")
    names = os.path.join(c.screenshots, "usernames.txt")
    with open(names, "w") as f:
        f.write("ghost\n")
    c.find("#revoke-form [name=file]").send_keys(names)
    c.wait(lambda: c.find("#revoke-form [name=usernames]").get_attribute("value").endswith("\nghost"), "a file's usernames are added to the box")
    c.find("#revoke-form button[type=submit]").click()
    c.confirm()
    c.wait(lambda: c.text("#revoked-users") == "2", "two users' tokens are revoked")
    check(c.text("#revoked-tokens") == "0", "the refresh tokens count is shown")
    check("ghost" in c.text("#unknown-usernames"), "the unknown name is shown")
    c.shot("revocations.png")

    # --- Audit: both actions, newest first.
    c.go("#/audit?tenant=acme")
    c.wait(lambda: "revocation.create" in c.attributes("#audit-list tr[data-action]", "data-action"), "the revocation is in the audit log")
    check(c.find("#audit-filters [name=tenant]").get_attribute("value") == "acme", "the tenant filter is filled in")
    actions = c.attributes("#audit-list tr[data-action]", "data-action")
    check("key.rotate" in actions and "key.activate" in actions, f"the rotation and the activation are in the audit log: {actions}")
    check(actions.index("revocation.create") < actions.index("key.activate") < actions.index("key.rotate"), "newest first")
    c.fill("#audit-filters [name=action]", "key.activate")
    c.find("#audit-filters button[type=submit]").click()
    c.wait(lambda: set(c.attributes("#audit-list tr[data-action]", "data-action")) == {"key.activate"}, "the action filter")
    c.shot("audit.png")

    # --- Live: logins and failures move the chart.
    c.go("#/live")
    c.wait(lambda: "First reading" in c.text("#live-state") or "Updated" in c.text("#live-state"), "the live page reads /metrics")
    for password in ("pw", "pw", "wrong"):
        request = urllib.request.Request(
            url + f"/t/{scoped_tenant}/prod/api/token/",
            data=json.dumps({"username": "alice", "password": password}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            urllib.request.urlopen(request, timeout=30).read()
        except urllib.error.HTTPError as error:
            error.read()

    def moved(series):
        points = c.find(f"polyline.line-{series}").get_attribute("points").split()
        return len({point.split(",")[1] for point in points}) > 1

    c.wait(lambda: moved("logins") and moved("failures"), "the chart shows the logins and the failure", timeout=30)
    c.shot("live.png")

    # --- The API out of reach (the browser offline): said plainly, and back when it returns.
    d.set_network_conditions(offline=True, latency=0, download_throughput=-1, upload_throughput=-1)
    c.wait(lambda: "did not answer" in c.text("#live-state"), "the live page says /metrics does not answer")
    c.go("#/tenants")
    c.wait(lambda: "did not answer" in c.text("#error-message"), "a page says Gatehouse does not answer")
    c.shot("api-down.png")
    d.set_network_conditions(offline=False, latency=0, download_throughput=-1, upload_throughput=-1)
    c.go("#/audit")
    c.wait(lambda: c.all("#audit-list tr[data-action]"), "back online, the pages answer again")

    # --- Keyboard alone: create a tenant and delete it with the typed confirmation.
    c.go("#/tenants")
    c.wait(lambda: c.all("#create-tenant"), "back on the tenants page")
    c.find("#main").click()

    def tab_to(condition, what, limit=60):
        for _ in range(limit):
            d.switch_to.active_element.send_keys(Keys.TAB)
            if condition(d.switch_to.active_element):
                return d.switch_to.active_element
        check(False, f"TAB reaches {what}")

    tab_to(lambda element: element.get_attribute("name") == "slug", "the slug field").send_keys("doomed")
    d.switch_to.active_element.send_keys(Keys.ENTER)
    c.wait(lambda: c.all('tr[data-slug="doomed"]'), "ENTER in the form creates the tenant")
    button = tab_to(lambda element: element.get_attribute("aria-label") == "Delete tenant doomed", "doomed's delete button")
    check(c.js("return getComputedStyle(arguments[0]).outlineStyle", button) != "none", "the focused button shows its focus")
    button.send_keys(Keys.ENTER)
    c.wait(lambda: c.all("dialog[open]"), "ENTER opens the confirmation")
    check(d.switch_to.active_element.get_attribute("id") == "confirm-typed", "the confirmation's text field has the focus")
    d.switch_to.active_element.send_keys("doome")
    d.switch_to.active_element.send_keys(Keys.ENTER)
    check(c.all("dialog[open]"), "a wrong slug does not delete")
    d.switch_to.active_element.send_keys("d", Keys.ENTER)
    c.wait(lambda: not c.all('tr[data-slug="doomed"]'), "the tenant is deleted from the keyboard")
    c.notice("doomed deleted", "deletion confirmed")

    # --- 400 px wide: nothing wider than the window.
    d.set_window_size(400, 900)
    c.go("#/t/acme/e/prod/keys")
    c.wait(lambda: c.all('tr[data-state="active"]'), "the key ring at 400 px")
    width = c.js("return window.innerWidth")
    check(c.js("return document.documentElement.scrollWidth") <= width, f"no horizontal scrolling of the page at {width} px")
    check(c.find("#timeline-box").size["width"] <= width, "the timeline scrolls inside its box")
    c.shot("keys-400px.png")
    c.go("#/tenants")
    c.wait(lambda: c.all('tr[data-slug="acme"]'), "the tenants at 400 px")
    check(c.js("return document.documentElement.scrollWidth") <= width, "the tenants page fits too")
    c.shot("tenants-400px.png")
    d.set_window_size(1200, 900)
    c.clean("after the global key")

    # --- A key limited to one tenant.
    c.find("#sign-out").click()
    c.wait(lambda: c.find("#sign-in").is_displayed(), "signed out")
    check(c.js("return document.getElementById('view').children.length") == 0, "signing out clears the page")
    c.sign_in(scoped_key)
    c.wait(lambda: "limited to one tenant" in c.text("#scope-tenant-error"), "a scoped key is asked for its tenant")
    c.sign_in(scoped_key, "acme")
    c.wait(lambda: "does not reach" in c.text("#scope-tenant-error"), "another tenant is refused")
    c.sign_in(scoped_key, scoped_tenant)
    c.wait(lambda: scoped_tenant in c.text("#tenant-title"), "the scoped key lands on its tenant")
    check(scoped_tenant in c.text("#scope"), "the header says the key is limited")
    c.go("#/tenants")
    c.wait(lambda: "cannot list" in c.text("#status"), "the tenants list says why not")
    c.wait(lambda: scoped_tenant in c.text("#tenant-title"), "and goes back to the key's tenant")
    c.go("#/t/acme/users")
    c.wait(lambda: "does not reach" in c.text("#error-message"), "another tenant's page answers 403, said plainly")
    c.shot("scoped-403.png")
    c.go(f"#/t/{scoped_tenant}/users")
    c.wait(lambda: c.all('#user-list tr[data-username="alice"]'), "its own users show")
    c.go("#/audit")
    c.wait(lambda: c.all("#audit-list tr[data-action]"), "its audit log shows")
    c.clean("after the scoped key")

    problems = [entry for entry in c.log if "Content Security Policy" in entry.get("message", "") or "Refused to" in entry.get("message", "")]
    check(problems == [], f"no Content-Security-Policy violation: {problems}")
    check(all(key not in json.dumps(c.log) for key in c.keys), "the key never reaches the browser's log")


if __name__ == "__main__":
    main()
