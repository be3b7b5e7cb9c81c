"""Regenerate the screenshots of the what-if page in docs/ (run by scripts/screenshots).

Starts `pse-sim serve` on a free loopback port, drives headless Chromium (Debian's chromium,
chromium-driver, python3-selenium) through the main views and saves:
  docs/web_second_specialist.png  levers + answer + numbers: a second specialist vs the default
  docs/web_grant_length_charts.png  charts of a 3-year instead of a 5-year grant
  docs/web_invalid_value.png      an out-of-range value with the loader's message at its control
Usage: python3 -m pse_web.screenshots PSE_SIM_BINARY DOCS_DIR
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary, docs = Path(argv[0]), Path(argv[1])
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen([str(binary), "serve", "--port", "0", "-o", str(Path(tmp) / "out")],
                                stdout=subprocess.PIPE, text=True)
        try:
            url = None
            for line in proc.stdout:
                if "what-if page: " in line:
                    url = line.split("what-if page: ", 1)[1].strip()
                    break
            if not url:
                print("error: pse-sim serve did not start", file=sys.stderr)
                return 1
            o = Options()
            for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                      "--window-size=1400,1250", "--hide-scrollbars"):
                o.add_argument(a)
            d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
            wait = WebDriverWait(d, 60, poll_frequency=0.05)
            try:
                def show(query: str):
                    d.get(url.rstrip("/") + "/" + query)
                    wait.until(lambda d: d.find_element("id", "progress-box").get_attribute("data-state") == "done")

                show("?scenario=default&compare=1&reps=20&s.ngo[*].dedicated_fte=2"
                     "&s.ngo[*].budget_usd_per_year=250000&run=1")
                d.save_screenshot(str(docs / "web_second_specialist.png"))
                print(f"wrote {docs / 'web_second_specialist.png'}")

                show("?scenario=default&compare=1&reps=20&s.ngo[*].end_week=156&run=1")
                d.find_element("id", "charts").screenshot(str(docs / "web_grant_length_charts.png"))
                print(f"wrote {docs / 'web_grant_length_charts.png'}")

                d.get(url.rstrip("/") + "/?scenario=default")
                wait.until(lambda d: d.find_element("tag name", "body").get_attribute("data-ready") == "1")
                box = d.find_element("id", "c-ngo____dedicated_fte")
                box.clear()
                box.send_keys("-1")
                wait.until(lambda d: d.find_element("id", "err-c-ngo____dedicated_fte").text != "")
                d.find_element("id", "setup").screenshot(str(docs / "web_invalid_value.png"))
                print(f"wrote {docs / 'web_invalid_value.png'}")
            finally:
                d.quit()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
