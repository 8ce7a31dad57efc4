"""Checkpoints: the user's work is never lost, and every step mom applies can be undone.

Two layers, because they answer different questions:

* **Snapshots** (git): before mom changes anything, the whole working tree (tracked and
  untracked-but-not-ignored files) and the index are written as a commit under
  `refs/mom/snapshots/<id>`, built with a temporary index so the user's real index, stash
  and branches are untouched. `restore_snapshot` puts every byte back.
* **Step records** (`.mom/checkpoints/steps/<id>/`): the exact bytes of each file a step
  touches, saved (and fsynced) *before* the first write, with the hash the step wrote.
  They make rollback of one step exact (also for ignored files and non-git folders),
  let `undo` refuse when the user has changed a file since, and let `recover_interrupted`
  finish the job after a crash or SIGKILL halfway through a step.

Step status moves applying → applied → (committed) → rolled_back | undone.

Every step also names the **run** (one mom command: a fix-build, a `mom run`, a milestone
run) it belongs to, because a user thinks of "mom's last change" as the last command's
changes; `mom undo` reverts a whole run (see `edits.runs`). A workflow calls
`store.begin_run(run_id, command)` once at its start; a process that never does still gets
one fresh run id, so its steps group together.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mom_cli.edits.containment import is_clean_relative, resolve_repo_path
from mom_cli.edits.fileio import read_bytes as read_bytes
from mom_cli.edits.fileio import sha256 as sha256
from mom_cli.edits.fileio import write_atomic as write_atomic
from mom_cli.errors import EditError, ExitCode, MomError
from mom_cli.paths import repo_state_dir
from mom_cli.tempdirs import temp_dir

SNAPSHOT_REF_PREFIX = "refs/mom/snapshots/"
KEEP_SNAPSHOTS = 50
_MOM_IDENTITY = {
    "GIT_AUTHOR_NAME": "mom",
    "GIT_AUTHOR_EMAIL": "mom@localhost",
    "GIT_COMMITTER_NAME": "mom",
    "GIT_COMMITTER_EMAIL": "mom@localhost",
}
_thread_lock = threading.RLock()
_held: dict[str, list[Any]] = {}  # lock path -> [open handle, depth], guarded by _thread_lock


class UndoRefusedError(MomError):
    """Undo/rollback would overwrite something the user changed after mom's step."""

    exit_code = ExitCode.FAILED


@dataclass(frozen=True)
class PlannedChange:
    """One file a step will write: exact bytes before (None = absent) and after."""

    path: str  # repo-relative POSIX path, symlinks resolved
    before: bytes | None
    after: bytes
    mode: int | None = None  # st_mode before, kept on rewrite


@dataclass
class FileRecord:
    path: str
    existed: bool
    mode: int | None
    before_sha256: str | None
    after_sha256: str
    blob: str  # file name under the step's before/ folder ("" when it did not exist)


@dataclass
class StepRecord:
    """What one applied step changed; enough to put every byte back."""

    id: str
    summary: str
    created: float
    status: str
    pid: int
    snapshot_ref: str = ""
    commit: str = ""
    files: list[FileRecord] = field(default_factory=list)
    created_dirs: list[str] = field(default_factory=list)
    run_id: str = ""  # "" in records written before runs existed: a run of its own
    command: str = ""  # "fix-build", "run", "milestone", ...

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.files]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepRecord:
        """The record, or ForgedRecordError when it names a path mom never writes."""
        files = [FileRecord(**f) for f in data.get("files", [])]
        record = cls(**{**data, "files": files})
        _check_names(record)
        return record


class ForgedRecordError(ValueError):
    """A step record mom cannot have written: `.mom/` is plain files a hostile clone can
    ship and code run by the tests stage can write, so records are untrusted input."""


_BLOB = re.compile(r"[0-9]{1,9}\.bin")
_STEP_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")  # one plain folder name


def _check_names(record: StepRecord) -> None:
    if not _STEP_ID.fullmatch(record.id):
        raise ForgedRecordError(f"step record id {record.id!r} is not a folder name")
    for f in record.files:
        if not is_clean_relative(f.path) or (f.blob and not _BLOB.fullmatch(f.blob)):
            raise ForgedRecordError(f"step record {record.id} names {f.path!r}")
    for rel in record.created_dirs:
        if not is_clean_relative(rel):
            raise ForgedRecordError(f"step record {record.id} names folder {rel!r}")


@dataclass(frozen=True)
class RunInfo:
    """The mom command a step belongs to."""

    run_id: str
    command: str


_DEFAULT_COMMAND = "mom"
_process_run = RunInfo(f"mom-{time.time_ns():020d}-{secrets.token_hex(3)}", _DEFAULT_COMMAND)


def current_run() -> RunInfo:
    """The run this process's steps are recorded under (the last `begin_run`, else a
    fresh id per process)."""
    return _process_run


def begin_run(run_id: str = "", command: str = "") -> RunInfo:
    """Make `run_id` this process's current run, so every store (also ones made deep in a
    workflow without a run id) records its steps under it. "" gets a fresh id."""
    global _process_run
    _process_run = RunInfo(run_id or f"{command or 'mom'}-{_new_id()}", command or _DEFAULT_COMMAND)
    return _process_run


class CheckpointStore:
    """Snapshots and step records for one repository (thread- and process-safe)."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo.resolve()
        self.root = repo_state_dir(self.repo) / "checkpoints"
        self.steps_dir = self.root / "steps"
        self.steps_dir.mkdir(parents=True, exist_ok=True)
        self._git_repo: Any = None
        self._run: RunInfo | None = None

    # ---- runs ----------------------------------------------------------------------
    def begin_run(self, run_id: str = "", command: str = "") -> RunInfo:
        """Record this store's next steps under `run_id` (and make it the process's run)."""
        self._run = begin_run(run_id, command)
        return self._run

    @property
    def run(self) -> RunInfo:
        return self._run or current_run()

    # ---- locking -------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise record changes across threads and mom processes."""
        key = str(self.root)
        with _thread_lock:
            if key in _held:  # re-entrant: flock on a second fd would deadlock us
                _held[key][1] += 1
                try:
                    yield
                finally:
                    _held[key][1] -= 1
                return
            with open(self.root / ".lock", "a+b") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                _held[key] = [handle, 1]
                try:
                    yield
                finally:
                    del _held[key]
                    fcntl.flock(handle, fcntl.LOCK_UN)

    # ---- git snapshots -------------------------------------------------------------
    @property
    def git(self) -> Any:
        """A GitPython `Git` for the repo, or None when the folder is not a git work tree."""
        if self._git_repo is None:
            import git  # GitPython; imported lazily, it costs ~100 ms

            try:
                self._git_repo = git.Repo(self.repo)
            except (git.InvalidGitRepositoryError, git.NoSuchPathError):
                self._git_repo = False
        return self._git_repo.git if self._git_repo else None

    def snapshot(self, message: str = "mom: snapshot before changes") -> str:
        """Save worktree + index under refs/mom/snapshots/; return the ref ("" without git)."""
        git = self.git
        if git is None:
            return ""
        git_dir = Path(git.rev_parse("--absolute-git-dir"))
        with temp_dir("index") as tmp:
            index = Path(tmp) / "index"
            if (git_dir / "index").exists():
                shutil.copyfile(git_dir / "index", index)  # keeps the stat cache: fast add
            env = {"GIT_INDEX_FILE": str(index)}
            git.add("-A", "--", ":/", env=env)
            tree = git.write_tree(env=env)
        head = self.head()
        parents = ["-p", head] if head else []
        with contextlib.suppress(Exception):  # unmerged index: keep the worktree only
            index_tree = git.write_tree()
            index_commit = git.commit_tree(
                index_tree, *parents, "-m", "mom: index", env=_MOM_IDENTITY
            )
            parents = [*parents, "-p", index_commit]
        commit = git.commit_tree(tree, *parents, "-m", message, env=_MOM_IDENTITY)
        ref = f"{SNAPSHOT_REF_PREFIX}{_new_id()}"
        git.update_ref(ref, commit)
        self._prune_snapshots()
        return ref

    def snapshots(self) -> list[str]:
        git = self.git
        if git is None:
            return []
        out = git.for_each_ref("--format=%(refname)", SNAPSHOT_REF_PREFIX)
        return sorted(line for line in out.splitlines() if line)

    def restore_snapshot(self, ref: str) -> None:
        """Make the working tree and index exactly what `ref` saved (HEAD is not moved).

        Files created after the snapshot (untracked, not ignored) are removed; ignored
        files are left alone.
        """
        git = self.git
        if git is None:
            raise MomError(f"{self.repo}: not a git repository; no snapshot to restore")
        commit = git.rev_parse("--verify", f"{ref}^{{commit}}")
        parents = git.rev_list("--parents", "-n", "1", commit).split()[1:]
        with temp_dir("index") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            git.read_tree(f"{commit}^{{tree}}", env=env)
            git.checkout_index("-a", "-f", env=env)
            extra = git.ls_files("-z", "--others", "--exclude-standard", env=env)
            for rel in filter(None, extra.split("\0")):
                with contextlib.suppress(FileNotFoundError):
                    (self.repo / rel).unlink()
        if len(parents) == 2 or (len(parents) == 1 and not self.head()):
            git.read_tree(f"{parents[-1]}^{{tree}}")

    def head(self) -> str:
        """The commit at HEAD ("" on an unborn branch)."""
        git = self.git
        try:
            return str(git.rev_parse("--verify", "-q", "HEAD"))
        except Exception:
            return ""

    def _prune_snapshots(self) -> None:
        refs = self.snapshots()
        for ref in refs[:-KEEP_SNAPSHOTS]:
            self.git.update_ref("-d", ref)

    # ---- step records --------------------------------------------------------------
    def begin_step(
        self, summary: str, changes: Sequence[PlannedChange], *, run_id: str = ""
    ) -> StepRecord:
        """Durably save every `before` before any write; status "applying".

        The step joins `run_id` when given, else the store's current run."""
        run = RunInfo(run_id, self.run.command) if run_id else self.run
        step_id = _new_id()
        folder = self.steps_dir / step_id
        (folder / "before").mkdir(parents=True)
        files = []
        for n, change in enumerate(changes):
            blob = ""
            if change.before is not None:
                blob = f"{n}.bin"
                write_atomic(folder / "before" / blob, change.before)
            files.append(
                FileRecord(
                    path=change.path,
                    existed=change.before is not None,
                    mode=change.mode,
                    before_sha256=sha256(change.before),
                    after_sha256=sha256(change.after) or "",
                    blob=blob,
                )
            )
        record = StepRecord(
            step_id, summary, time.time(), "applying", os.getpid(), files=files,
            run_id=run.run_id, command=run.command,
        )  # fmt: skip
        self.save(record)
        return record

    def save(self, record: StepRecord) -> None:
        folder = self.steps_dir / record.id
        folder.mkdir(parents=True, exist_ok=True)
        data = json.dumps(record.to_dict(), indent=1).encode()
        with self.locked():
            write_atomic(folder / "step.json", data)

    def load(self, step_id: str) -> StepRecord:
        path = self.steps_dir / step_id / "step.json"
        try:
            return StepRecord.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise MomError(f"no such step: {step_id}") from None

    def steps(self) -> list[StepRecord]:
        """Every step record, oldest first."""
        out = []
        for folder in sorted(self.steps_dir.iterdir()):
            if (folder / "step.json").is_file():
                with contextlib.suppress(ValueError, TypeError, OSError):
                    out.append(self.load(folder.name))
        return out

    def changed_since(self, record: StepRecord) -> list[str]:
        """Files of `record` whose current bytes differ from what the step wrote."""
        return [
            f.path
            for f in record.files
            if sha256(read_bytes(self.repo / f.path)) != (f.after_sha256 or None)
        ]

    def rollback(self, step_id: str, *, force: bool = False) -> StepRecord:
        """Put back the bytes of every file `step_id` touched; refuse if changed since."""
        with self.locked():
            record = self.load(step_id)
            if record.status not in ("applying", "applied"):
                raise UndoRefusedError(f"step {step_id} is {record.status}; nothing to roll back")
            changed = self.changed_since(record) if record.status == "applied" else []
            if changed and not force:
                raise UndoRefusedError(
                    "refusing to roll back: changed since mom's step: " + ", ".join(changed)
                )
            self.restore_files(record)
            record.status = "rolled_back"
            self.save(record)
            return record

    def undo_last(self) -> StepRecord:
        """Revert mom's most recent applied (or committed) step; refuse on conflicts."""
        with self.locked():
            live = [r for r in self.steps() if r.status in ("applied", "committed")]
            if not live:
                raise UndoRefusedError("nothing to undo: mom has no applied change here")
            record = live[-1]
            changed = self.changed_since(record)
            if changed:
                raise UndoRefusedError(
                    "refusing to undo: you changed these files since mom's change: "
                    + ", ".join(changed)
                )
            if record.status == "committed":
                self._uncommit(record)
            self.restore_files(record)
            record.status = "undone"
            self.save(record)
            return record

    def recover_interrupted(self) -> list[StepRecord]:
        """Roll back steps left "applying" by a process that died (crash, SIGKILL).

        A file is only restored when it holds either its before or its after bytes, so a
        user edit made after the crash is never overwritten.
        """
        recovered = []
        with self.locked():
            for record in self.steps():
                if record.status != "applying" or _alive(record.pid):
                    continue
                for f in record.files:
                    now = sha256(read_bytes(self.repo / f.path))
                    if now not in (f.before_sha256, f.after_sha256 or None):
                        raise UndoRefusedError(
                            f"interrupted step {record.id}: {f.path} changed since; "
                            "restore it by hand from .mom/checkpoints"
                        )
                self.restore_files(record)
                record.status = "rolled_back"
                self.save(record)
                recovered.append(record)
        return recovered

    def commit_step(self, step_id: str, message: str) -> str:
        """Commit exactly the step's files (the user's other staged work stays staged)."""
        git = self.git
        if git is None:
            raise MomError(f"{self.repo}: not a git repository; cannot commit")
        with self.locked():
            record = self.load(step_id)
            git.add("--", *record.paths)
            git.commit("-q", "--no-verify", "-m", message, "--", *record.paths)
            record.commit = self.head()
            record.status = "committed"
            self.save(record)
            return record.commit

    def _uncommit(self, record: StepRecord) -> None:
        git = self.git
        if self.head() != record.commit:
            raise UndoRefusedError(
                f"refusing to undo: mom's commit {record.commit[:10]} is no longer HEAD"
            )
        git.update_ref("HEAD", f"{record.commit}^", record.commit)
        git.reset("-q", "HEAD", "--", *record.paths)

    def restore_files(self, record: StepRecord) -> None:
        """Put back the exact bytes (or absence) of every file `record` touched.

        Every path is resolved first, as an edit's would be: a folder swapped for a
        symlink since the step (by the user, or by code the tests ran) must not carry a
        write or an unlink out of the repository or into `.git/`."""
        folder = self.steps_dir / record.id / "before"
        for f in record.files:
            self._contained(record, f.path)
        for f in record.files:
            target = self.repo / f.path
            if f.existed:
                target.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(target, (folder / f.blob).read_bytes(), f.mode)
            else:
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
        for rel in sorted(record.created_dirs, key=len, reverse=True):
            with contextlib.suppress(OSError):
                (self.repo / rel).rmdir()  # only when still empty

    def _contained(self, record: StepRecord, rel: str) -> None:
        try:
            resolve_repo_path(self.repo, rel)
        except EditError as exc:
            raise UndoRefusedError(
                f"refusing to restore step {record.id}: {rel} is no longer a file inside "
                f"the repository ({exc})"
            ) from None


def _new_id() -> str:
    return f"{time.time_ns():020d}-{secrets.token_hex(3)}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another thread of this process is mid-step
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def commit_if_configured(
    store: CheckpointStore, record: StepRecord, *, enabled: bool, message_template: str
) -> str:
    """Commit a validated step when `validation.commit_changes` is on; returns the commit
    ("" when off or without git). `{summary}` in the template becomes the step summary."""
    if not enabled or store.git is None or not record.files:
        return ""
    return store.commit_step(record.id, message_template.replace("{summary}", record.summary))
