"""Builds glyph._glyph with this repository's CMake (see pyproject.toml).

GLYPH_CMAKE_BUILD_DIR=DIR reuses a configured build folder (only the module
target is built there, e.g. the tree scripts/setup.sh made); otherwise a fresh
Release build goes under build/setuptools/.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def project_version():
    """The version CMakeLists.txt declares: one place for it."""
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    return re.search(r"project\(glyph VERSION ([0-9.]+)", text).group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        target = Path(self.get_ext_fullpath(ext.name)).resolve()
        reuse = os.environ.get("GLYPH_CMAKE_BUILD_DIR")
        build_dir = Path(reuse).resolve() if reuse else Path(self.build_temp).resolve() / "cmake"
        if not reuse:
            configure = ["cmake", "-S", str(ROOT), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                         "-DGLYPH_BUILD_TESTS=OFF", "-DGLYPH_BUILD_BENCH=OFF", "-DGLYPH_PYTHON=ON",
                         f"-DPython_EXECUTABLE={sys.executable}"]
            if shutil.which("ninja"):
                configure += ["-G", "Ninja"]
            if shutil.which("ccache"):
                configure += ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache", "-DCMAKE_C_COMPILER_LAUNCHER=ccache"]
            subprocess.check_call(configure)
        subprocess.check_call(["cmake", "--build", str(build_dir), "--target", "_glyph",
                               "-j", str(os.cpu_count() or 1)])
        built = build_dir / "python" / "glyph" / target.name
        if not built.exists():
            sys.exit(f"glyph: error: {built} was not built: {build_dir} targets another Python than "
                     f"{sys.executable} (or was configured with -DGLYPH_PYTHON=OFF)")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, target)


setup(
    version=project_version(),
    ext_modules=[Extension("glyph._glyph", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": "build/setuptools"}},
)
