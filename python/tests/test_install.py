"""`python3 -m venv --system-site-packages V && V/bin/pip install --no-build-isolation .`
works offline and installs a glyph that renders the CLI's pages. The build
folder the tests run from is reused (GLYPH_CMAKE_BUILD_DIR), so this costs a
copy, not a second compile."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO


def test_pip_install_into_a_venv(tmp_path, cli, sample):
    build = os.environ.get("GLYPH_BUILD_DIR")
    if not build:
        pytest.skip("GLYPH_BUILD_DIR (the CMake build folder) not set")
    if not Path("/usr/bin/python3").exists() or Path(sys.executable).resolve() != Path("/usr/bin/python3").resolve():
        pytest.skip("the build tree's module is built for /usr/bin/python3")
    venv = tmp_path / "V"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)], check=True)
    env = dict(os.environ, GLYPH_CMAKE_BUILD_DIR=build, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    # A copy of the sources: the install writes its egg-info and setuptools folders there, not in the repository.
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns("build*", "node_modules", "models", "out", ".git"),
                    symlinks=True)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "--no-build-isolation", "-q", str(src)], env=env,
                         capture_output=True, text=True)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    (tmp_path / "t.txt").write_text(sample[:3000], encoding="utf-8")
    script = ("import glyph, sys; p = glyph.render(open(sys.argv[1]).read(), preset='en');"
              "sys.stdout.buffer.write(p[0].png); print(glyph.__file__, file=sys.stderr)")
    run = subprocess.run([str(venv / "bin" / "python"), "-c", script, str(tmp_path / "t.txt")], env=env,
                         capture_output=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr.decode()
    assert str(venv) in run.stderr.decode(), "glyph was imported from the venv"
    subprocess.run([cli, "render", str(tmp_path / "t.txt"), "--preset", "en", "--no-count", "--out",
                    str(tmp_path / "o")], check=True, capture_output=True)
    assert run.stdout == (tmp_path / "o" / "page_001.png").read_bytes()
