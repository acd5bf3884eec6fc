"""Open an HTML file in headless Chromium (Debian's package) and report what the page did.

The page is copied with a probe script in front of everything else: it records script errors,
``console.error``/``console.warn`` calls, unhandled promise rejections and every resource the page
loaded that is not ``file:``, ``data:``, ``blob:`` or ``about:`` (a network request). Chromium then
runs the page's scripts (``--virtual-time-budget``) with name resolution disabled, and
``--dump-dom`` prints the DOM as the scripts left it; a second call takes a screenshot.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)

PROBE = """<script>(function(){
var errs=[];function rec(k,m){errs.push(k+': '+m);
 var b=document.documentElement;b.setAttribute('data-probe-errors',errs.join(' | '));}
window.addEventListener('error',function(e){rec('error',e.message||e.type);},true);
window.addEventListener('unhandledrejection',function(e){rec('rejection',String(e.reason));});
['error','warn'].forEach(function(k){var o=console[k];console[k]=function(){
 rec('console.'+k,Array.prototype.join.call(arguments,' '));return o.apply(console,arguments);};});
function net(){var bad=performance.getEntriesByType('resource').map(function(r){return r.name;})
 .filter(function(u){return !/^(file|data|blob|about):/.test(u);});
 document.documentElement.setAttribute('data-probe-network',bad.join(' '));
 document.documentElement.setAttribute('data-probe-done','1');}
window.addEventListener('load',function(){setTimeout(net,1500);});
})();</script>"""

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=20000"]


@dataclass
class PageRun:
    dom: str
    stderr: str

    def attr(self, name: str) -> str | None:
        m = re.search(rf'<html[^>]*\s{name}="([^"]*)"', self.dom)
        return m.group(1) if m else None

    @property
    def errors(self) -> list[str]:
        """Errors the probe saw, and uncaught errors Chromium logged."""
        found = [e for e in (self.attr("data-probe-errors") or "").split(" | ") if e]
        found += re.findall(r'CONSOLE[^\]]*\] "(Uncaught[^"]*)"', self.stderr)
        return found

    @property
    def network(self) -> list[str]:
        return (self.attr("data-probe-network") or "").split()


def probed_copy(page: Path, folder: Path) -> Path:
    """A copy of ``page`` with the probe as the first script of <head>."""
    text = page.read_text(encoding="utf-8")
    i = text.lower().find("<head>")
    text = text[: i + 6] + PROBE + text[i + 6:] if i >= 0 else PROBE + text
    out = folder / f"probed-{page.name}"
    out.write_text(text, encoding="utf-8")
    return out


def open_page(page: Path, folder: Path, timeout_s: float = 120) -> PageRun:
    """Run ``page`` (probed) and return its DOM after the scripts ran, and Chromium's log."""
    assert CHROMIUM is not None
    probed = probed_copy(page, folder)
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={folder / 'profile'}", "--dump-dom",
                           probed.as_uri()], capture_output=True, text=True, timeout=timeout_s)
    return PageRun(proc.stdout, proc.stderr)


def screenshot(page: Path, out: Path, folder: Path, size: str = "1400,2400", timeout_s: float = 120) -> Path:
    assert CHROMIUM is not None
    subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={folder / 'profile-shot'}", f"--window-size={size}",
                    f"--screenshot={out}", page.as_uri()], capture_output=True, text=True, timeout=timeout_s)
    return out
