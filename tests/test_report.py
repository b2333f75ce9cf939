"""zoo.report: a real tiny sweep (two jobs that finish, two that fail) as one self-contained HTML
page, checked as text and then opened in a real headless browser (Debian's chromium; `make
browser` installs it): it renders with no console message, and shows its table and its pictures."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import QUICK, run_cli

CHROMIUM = next((path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (make browser installs it)")

# After the page has loaded, the test's copy of it records what the browser made of it (the report
# itself has no script): images decoded (naturalWidth > 0) and rows of the table laid out.
PROBE = """<script>
window.addEventListener("load", () => {
  const images = [...document.images];
  document.body.dataset.images = images.length;
  document.body.dataset.decoded = images.filter(image => image.complete && image.naturalWidth > 0).length;
  document.body.dataset.rows = [...document.querySelectorAll("#results tbody tr")].filter(row => row.offsetHeight > 0).length;
});
</script>"""


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """Four jobs: learning rates 2e-4 (finish) and -1 (refused, so failed) over seeds 0 and 1."""
    root = tmp_path_factory.mktemp("sweep")
    done = run_cli("zoo.train", "-m", "model.d_optimizer.lr=2e-4,-1", "seed=0,1", *QUICK, f"hydra.sweep.dir={root}")
    assert done.returncode == 2, done.stderr[-3000:]  # two jobs of four did not finish
    return root


@pytest.fixture(scope="module")
def report(sweep) -> Path:
    done = run_cli("zoo.report", f"dir={sweep}", "by=[model.d_optimizer.lr]")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "report written" in done.stdout and "4 jobs in 2 groups, 2 did not finish" in done.stdout
    return sweep / "report.html"


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    """Open ``page`` in headless chromium with its console written to stderr (one line per message:
    ``...:INFO:CONSOLE:<line>] "<message>", source: <url> (<line>)``)."""
    command = [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage", "--hide-scrollbars",
               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args, page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def console(done: subprocess.CompletedProcess) -> list[str]:
    return [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


def test_the_page_holds_the_table_failures_samples_and_curves_and_nothing_from_outside(report):
    page = report.read_text()
    assert "<td>0.0002</td><td>2/2</td>" in page and "<td>-1</td><td>0/2</td>" in page
    assert "n=2</span>" in page and "val/modes" in page
    assert page.count("model.d_optimizer.lr must be a number &gt; 0, got -1") == 4  # listed, and under both jobs' pictures
    assert page.count("src='data:image/png;base64,") == 3  # two jobs' final samples, one picture of the curves
    assert "iter_000006.png" in page and "Left out of the curves" not in page  # the failed jobs never trained
    assert "http://" not in page and "https://" not in page and "<script" not in page  # works offline, from the file


def test_a_missing_an_empty_folder_and_an_existing_page_are_refused_in_one_line(tmp_path, report):
    for args, message in [
        ([f"dir={tmp_path / 'missing'}"], "is not a folder"),
        ([f"dir={tmp_path}"], "no results.json under"),
        ([f"dir={report.parent}"], "exists: choose another out, or pass overwrite=true"),
    ]:
        done = run_cli("zoo.report", *args)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and message in done.stderr, done.stderr


@needs_chromium
def test_the_console_check_sees_a_script_error(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<html><body><p>x</p><script>console.error('seen'); notDefined();</script></body></html>")
    messages = console(chromium(page, tmp_path / "profile", "--dump-dom"))
    assert any('"seen"' in line for line in messages) and any("Uncaught ReferenceError" in line for line in messages), messages


@needs_chromium
def test_the_page_renders_in_chromium_with_its_table_and_pictures(report, tmp_path):
    shot = tmp_path / "report.png"
    done = chromium(report, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1400,2400")
    assert console(done) == []
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)

    def near(colour, tolerance=12):
        return int((np.abs(pixels - colour).max(axis=-1) <= tolerance).sum())

    assert (pixels.min(axis=-1) < 250).mean() > 0.03  # not a blank page
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 500  # pictures, not text alone
    assert near((240, 240, 240), 0) > 1000 and near((255, 243, 240), 0) > 1000  # the table's header and its unfinished row
    assert near((31, 119, 180)) > 300  # matplotlib's blue: the samples and the curves (text is black, grey or red)

    probed = tmp_path / "probed.html"
    probed.write_text(report.read_text().replace("</body>", PROBE + "</body>"))
    done = chromium(probed, tmp_path / "profile", "--dump-dom", "--virtual-time-budget=5000")
    assert console(done) == []
    assert 'data-images="3" data-decoded="3" data-rows="2"' in done.stdout, done.stdout[:2000]
