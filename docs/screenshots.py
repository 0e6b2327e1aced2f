"""Screenshots of the check cell as a student sees it: real JupyterLab, driven by headless Chromium.

    python docs/screenshots.py [--out docs]

Needs, besides the project's own environment: Debian's ``chromium`` (``apt-get install chromium``)
and, in the Python that runs this script, ``jupyterlab`` and ``playwright`` (a separate venv:
``pip install jupyterlab playwright``; no browser download, the system Chromium is used). The
notebooks are written, and run, by the project's ``.venv/bin/python``. Not part of any test run.

Two notebooks are opened and run with JupyterLab's own "Run All Cells": section 7.2 solved, and
the same with ``corr2d`` written as a true convolution (a mutant of tests/mutants.py). The
screenshots show each one's ``d2l.check("corr2d")`` cell: ``check-cell-solved.png`` and
``check-cell-buggy.png``.
"""

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
KERNEL_PYTHON = REPO / ".venv" / "bin" / "python"
CHROMIUM = "/usr/bin/chromium"


def write_notebooks(folder):
    """The solved 7.2 notebook and its buggy twin, in ``folder`` (run by the project's Python)."""
    sys.path[:0] = [str(REPO), str(REPO / "tests")]
    from mutants import MUTANTS

    from solutions.fill import graded_item, solved

    buggy = next(source for item, description, source in MUTANTS if item == "corr2d" and "convolution" in description)
    nb = solved(nbformat.read(str(REPO / "assignment" / "7.2-cross-correlation.ipynb"), as_version=4))
    nbformat.write(nb, str(folder / "solved.ipynb"))
    for cell in nb.cells:
        if graded_item(cell) == "corr2d":
            cell.source = "# ✎ YOUR CODE\n" + buggy
    nbformat.write(nb, str(folder / "buggy.ipynb"))


def notebooks(folder):
    subprocess.run([str(KERNEL_PYTHON), __file__, "--write-notebooks", str(folder)], check=True)
    return ["solved.ipynb", "buggy.ipynb"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(folder, jupyter_path, port, token):
    kernel = jupyter_path / "kernels" / "python3"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(KERNEL_PYTHON), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (homework)", "language": "python"}))
    # every cell rendered (JupyterLab draws only those near the view by default), so any can be shot
    settings = jupyter_path / "lab-settings"
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}))
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)   # no "Jupyter news?" toast
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = {**os.environ, "JUPYTER_PATH": str(jupyter_path), "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "D2L_MAX_EPOCHS": "1", "D2L_MAX_BATCHES": "2"}
    return subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
                             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
                             "--allow-root"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def shoot(page, url, target):
    page.goto(url)
    page.wait_for_selector(".jp-Notebook", timeout=120_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
    if page.locator(".jp-Dialog button", has_text="Select").count():   # a kernel to confirm
        page.locator(".jp-Dialog button", has_text="Select").first.click()
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()   # the menu bar's Run menu
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    check = page.locator(".jp-CodeCell", has_text='d2l.check("corr2d")').first
    # JupyterLab renders only the cells near the view: wait for the output to exist, then scroll to it
    try:
        check.locator(".jp-OutputArea-output", has_text="d2l.check").wait_for(state="attached", timeout=180_000)
        check.scroll_into_view_if_needed()
        time.sleep(2)
        check.screenshot(path=str(target))
    except Exception:
        page.screenshot(path=str(target.with_suffix(".failed.png")))   # what the page showed instead
        raise


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "docs"))
    parser.add_argument("--write-notebooks", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_notebooks:
        return write_notebooks(Path(args.write_notebooks))
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "notebooks"
        folder.mkdir()
        names = notebooks(folder)
        port, token = free_port(), secrets.token_hex(16)
        lab = start_lab(folder, Path(tmp) / "jupyter", port, token)
        try:
            time.sleep(5)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run"])
                for name in names:   # a fresh page each: JupyterLab asks before leaving a running notebook
                    page = browser.new_page(viewport={"width": 1200, "height": 1400})
                    target = out / f"check-cell-{Path(name).stem}.png"
                    url = f"http://127.0.0.1:{port}/lab/workspaces/{Path(name).stem}/tree/{name}?reset&token={token}"
                    shoot(page, url, target)
                    page.close()
                    print(f"wrote {target}")
                browser.close()
        finally:
            lab.terminate()
            lab.wait(timeout=30)


if __name__ == "__main__":
    main()
