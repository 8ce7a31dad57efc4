"""What kind of project is this, and which language is each file? Decided from files only."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

LANGUAGE_BY_SUFFIX = {
    ".py": "python",
    ".pyi": "python",
    ".rs": "rust",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
}
# Folders that are never the project's own source (toolchains, caches, build output).
SKIP_DIRS = {
    ".git",
    ".mom",
    ".venv",
    "venv",
    "node_modules",
    "target",
    "build",
    "dist",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
}
KIND_BY_LANGUAGE = {
    "python": "python",
    "rust": "rust",
    "javascript": "node",
    "typescript": "typescript",
    "tsx": "typescript",
    "go": "go",
    "java": "java",
}


@dataclass(frozen=True)
class ProjectInfo:
    """Project kinds found at the root, most specific build system first."""

    root: Path
    kinds: list[str] = field(default_factory=list)  # python, rust, node, typescript, go, java

    def has(self, kind: str) -> bool:
        return kind in self.kinds


def language_of(path: str | Path) -> str | None:
    return LANGUAGE_BY_SUFFIX.get(PurePosixPath(str(path)).suffix.lower())


def detect_project(root: Path, files: list[str] | None = None) -> ProjectInfo:
    """Kinds from marker files at `root`; with none, from the languages of `files`."""
    kinds: list[str] = []
    if (root / "Cargo.toml").is_file():
        kinds.append("rust")
    if (root / "go.mod").is_file():
        kinds.append("go")
    if any((root / m).is_file() for m in ("pom.xml", "build.gradle", "build.gradle.kts")):
        kinds.append("java")
    if (root / "package.json").is_file():
        kinds.append("typescript" if _uses_typescript(root) else "node")
    if any((root / m).is_file() for m in ("pyproject.toml", "setup.py", "setup.cfg")):
        kinds.append("python")
    pool = files if files is not None else ([] if kinds else project_files(root))
    for path in pool:
        kind = KIND_BY_LANGUAGE.get(language_of(path) or "")
        if kind and kind not in kinds and not (kind == "node" and "typescript" in kinds):
            kinds.append(kind)
    return ProjectInfo(root, kinds)


def _uses_typescript(root: Path) -> bool:
    if (root / "tsconfig.json").is_file():
        return True
    try:
        data = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    deps = {**data.get("dependencies", {}), **data.get("devDependencies", {})}
    return "typescript" in deps


def project_files(root: Path) -> list[str]:
    """Source files of the project: `git ls-files` (tracked + untracked, not ignored)
    when `root` is a git work tree, otherwise a walk that skips toolchain folders."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode("utf-8", errors="surrogateescape")
        names = sorted({n for n in out.split("\0") if n})
        return [n for n in names if language_of(n) and not (set(n.split("/")) & SKIP_DIRS)]
    except (OSError, subprocess.SubprocessError):
        pass
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for name in filenames:
            if language_of(name):
                found.append((Path(dirpath) / name).relative_to(root).as_posix())
    return sorted(found)
