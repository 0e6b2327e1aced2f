"""The sandbox's parts on their own: the read policy, the policy and status records the kernel
reads and writes, the environment, the output caps, the socket filter."""

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from grader.kernel_side import seccomp
from grader.kernel_side.confinement_contract import KernelPolicy, SandboxStatus
from grader.output_cap import OutputBudget, OutputLimits
from grader.sandbox.environment import kernel_environment
from grader.sandbox.policy import carve, hidden_paths, kernel_policy


def _tree(root, *paths):
    for path in paths:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("x")
    return root


def test_a_hidden_package_inside_site_packages_is_cut_out(tmp_path):
    site = _tree(tmp_path / "site-packages", "torch/__init__.py", "solutions/sec7_2.py", "grader/items.py",
                 "six.py", "d2l/__init__.py")
    read, list_only = carve([site], {site / "solutions", site / "grader"})
    assert str(site) in list_only
    assert {str(site / "torch"), str(site / "six.py"), str(site / "d2l")} <= set(read)
    assert not any("solutions" in path or "grader" in path for path in read)


def test_a_hidden_path_deep_below_an_allowed_folder_keeps_its_siblings(tmp_path):
    root = _tree(tmp_path / "prefix", "lib/a.py", "lib/secret/key", "lib/deeper/b.py", "bin/python")
    read, list_only = carve([root], {root / "lib" / "secret"})
    assert set(list_only) == {str(root), str(root / "lib")}
    assert set(read) == {str(root / "bin"), str(root / "lib" / "a.py"), str(root / "lib" / "deeper")}


def test_folders_without_hidden_paths_are_granted_whole(tmp_path):
    read, list_only = carve([tmp_path / "a", tmp_path / "b"], {tmp_path / "elsewhere"})
    assert read == sorted([str(tmp_path / "a"), str(tmp_path / "b")]) and list_only == []


def test_the_real_policy_never_grants_the_reference_or_the_tests(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    policy = kernel_policy(tmp_path / "work", tmp_path / "tmp")
    granted = [Path(p) for p in policy.read]
    for secret in (repo / "solutions", repo / "grader", repo / "tests", repo / ".git"):
        assert not any(g == secret or secret in g.parents or g in secret.parents for g in granted), secret
    home = Path.home().resolve()   # the interpreter may live below it (pyenv), but home is never granted whole
    assert not any(g == home or g in home.parents for g in granted)
    assert str((repo / "d2l").resolve()) in policy.read
    assert policy.read_write == [str(tmp_path / "work"), str(tmp_path / "tmp")]
    assert (repo / "solutions").resolve() in hidden_paths()


def test_the_policy_reaches_the_kernel_as_the_same_record_and_a_tampered_one_is_refused(tmp_path):
    policy = kernel_policy(tmp_path / "work", tmp_path / "tmp", status_file=tmp_path / "status.json")
    path = policy.write(tmp_path / "policy.json")
    # as boot.py loads it in the kernel: by file name, outside any package, with no grader import
    spec = importlib.util.spec_from_file_location("_kernel_records", Path(seccomp.__file__).with_name(
        "confinement_contract.py"))
    records = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(records)
    assert records.KernelPolicy.load(path) == records.KernelPolicy(**json.loads(path.read_text()))
    assert KernelPolicy.load(path) == policy
    path.write_text(json.dumps(dict(json.loads(path.read_text()), max_processes="256")))
    with pytest.raises(ValueError, match="KernelPolicy.max_processes should be int"):
        KernelPolicy.load(path)
    path.write_text(json.dumps({"read": ["/"], "allow_everything": True}))
    with pytest.raises(ValueError, match="unknown fields allow_everything"):
        KernelPolicy.load(path)


def _fence_status(private, not_sandboxed=None):
    """What ``KernelFence.status`` reads from a fence's private folder (no kernel, no cgroup)."""
    from grader.sandbox.fence import KernelFence

    return KernelFence.status(SimpleNamespace(private=private, not_sandboxed=not_sandboxed))


@pytest.mark.parametrize("written, reason", [
    (None, "the kernel wrote no sandbox status"),
    ("{\"confined\": tru", "could not be read: Expecting value"),
    ("[true]", "could not be read: SandboxStatus is not a JSON object"),
    ('{"confined": "yes"}', "could not be read: SandboxStatus.confined should be bool, not 'yes'"),
    ('{"confined": true, "not_applied": [3]}', "could not be read: SandboxStatus.not_applied should be list"),
    ('{"confined": true, "landlock": "sure"}', "could not be read: SandboxStatus has unknown fields landlock"),
    (b"\xff\xfe", "could not be read"),
])
def test_a_missing_or_malformed_status_is_a_kernel_not_confined_with_the_reason(tmp_path, written, reason):
    if written is not None:
        target = tmp_path / "status.json"
        target.write_bytes(written) if isinstance(written, bytes) else target.write_text(written)
    status = _fence_status(tmp_path)
    assert not status.confined and reason in status.unconfined_reason and status.limits_held() == set()


def test_a_status_reads_back_with_the_limits_that_held_and_the_graders_own_reason_first(tmp_path):
    written = SandboxStatus(confined=True, socket_filter=SandboxStatus.INSTALLED, processes="not capped",
                            open_files="at most 4096", capabilities="could not be dropped", abi=6)
    (tmp_path / "status.json").write_text(written.to_json())
    status = _fence_status(tmp_path)
    assert status == written and status.unconfined_reason is None
    assert status.limits_held() == {"Landlock file and network rules", "socket filter", "open files: at most 4096"}
    (tmp_path / "status.json").write_text(SandboxStatus(reason="confinement turned off by the grader").to_json())
    assert _fence_status(tmp_path, "Landlock is not available: old kernel").unconfined_reason == (
        "Landlock is not available: old kernel")
    assert SandboxStatus().unconfined_reason == "unknown"   # never an empty reason in a report


def test_the_environment_is_an_allowlist(tmp_path):
    source = {"LANG": "C.UTF-8", "GITHUB_TOKEN": "secret", "AWS_SECRET_ACCESS_KEY": "secret",
              "PYTHONPATH": "/somewhere", "FASHION_MNIST_DIR": "/real/data", "OMP_NUM_THREADS": "2"}
    env = kernel_environment(tmp_path / "work", tmp_path / "tmp", source=source,
                             overrides={"FASHION_MNIST_DIR": tmp_path / "staged", "CUDA_VISIBLE_DEVICES": None})
    assert "secret" not in env.values() and "PYTHONPATH" not in env and "CUDA_VISIBLE_DEVICES" not in env
    assert env["LANG"] == "C.UTF-8" and env["OMP_NUM_THREADS"] == "2"
    assert env["HOME"] == str(tmp_path / "work") and env["TMPDIR"] == str(tmp_path / "tmp")
    assert env["FASHION_MNIST_DIR"] == str(tmp_path / "staged")


def _stream(text):
    return {"msg_type": "stream", "content": {"name": "stdout", "text": text}}


def test_a_cell_keeps_its_share_and_says_how_much_was_cut():
    budget = OutputBudget(OutputLimits(cell_bytes=100, notebook_bytes=1000))
    cell = nbformat.v4.new_code_cell("print")
    budget.start_cell()
    assert budget.admit(_stream("a" * 60)) is not None
    trimmed = budget.admit(_stream("b" * 60))
    assert trimmed["content"]["text"] == "b" * 40
    assert budget.admit({"msg_type": "display_data", "content": {"data": {"text/plain": "c" * 10}}}) is None
    assert budget.finish_cell(cell) == 30
    assert "30 bytes of output were cut" in cell.outputs[-1]["text"]


def test_the_notebook_cap_spans_cells_and_clearing_frees_a_cells_share():
    budget = OutputBudget(OutputLimits(cell_bytes=100, notebook_bytes=150))
    cell = nbformat.v4.new_code_cell("")
    budget.start_cell()
    budget.admit(_stream("a" * 100))
    budget.finish_cell(cell)
    budget.start_cell()
    assert budget.admit(_stream("b" * 80))["content"]["text"] == "b" * 50
    budget.cleared()
    assert budget.admit(_stream("c" * 40)) is not None


def test_errors_are_kept_but_their_tracebacks_are_cut():
    budget = OutputBudget(OutputLimits(cell_bytes=10, notebook_bytes=10))
    budget.start_cell()
    budget.admit(_stream("x" * 10))
    error = {"msg_type": "error", "content": {"ename": "ValueError", "evalue": "v" * 10_000,
                                              "traceback": ["frame " * 1000] * 200}}
    kept = budget.admit(error)
    assert kept["content"]["ename"] == "ValueError"
    assert len(kept["content"]["evalue"]) == 2000
    assert sum(map(len, kept["content"]["traceback"])) < 40_000
    assert "traceback lines cut" in kept["content"]["traceback"][0]


@pytest.mark.parametrize("machine", sorted(seccomp.ARCHES))
def test_the_socket_filter_jumps_stay_inside_the_program(machine):
    rows = seccomp.program(machine)
    for at, (code, jt, jf, _) in enumerate(rows):
        if code in (seccomp.JEQ_K, seccomp.JGE_K):
            assert at + 1 + jt < len(rows) and at + 1 + jf < len(rows)
    assert rows[-1] == (seccomp.RET_K, 0, 0, seccomp.RET_ERRNO | seccomp.EACCES)
    assert rows[-2] == (seccomp.RET_K, 0, 0, seccomp.RET_ALLOW)


def test_a_killed_graders_leftovers_are_found_by_its_pid(tmp_path):
    import os

    from grader.sandbox.cgroups import PREFIX, stale_entries

    dead = next(pid for pid in range(4_194_000, 4_194_304) if not os.path.exists(f"/proc/{pid}"))
    for name in (f"{PREFIX}{dead}-ab12", f"{PREFIX}{os.getpid()}-cd34", f"{PREFIX}notapid", "other-123-x"):
        (tmp_path / name).mkdir()
    assert stale_entries(tmp_path, PREFIX) == [tmp_path / f"{PREFIX}{dead}-ab12"]
