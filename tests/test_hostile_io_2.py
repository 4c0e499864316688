"""Hostile files and folders, second round (review A): symbolic link loops in the config.

Same rules as test_hostile_io: real read-only mounts and small tmpfs in a private mount
namespace (skipped where not permitted), file size limits in a child process, anything that
could hang in a child process with a timeout; no timed assertions.
"""

from __future__ import annotations

from test_hostile_io import one_clear_error

# -- B4: symbolic link loops in the config's paths -----------------------------------------------


def test_a_layer_path_that_loops_is_named(project, cli):
    pipes = project.raw / "pipes.shp"
    pipes.unlink()
    pipes.symlink_to(pipes.name)
    line = one_clear_error(*cli("--config", project.config, "validate")[::2])
    assert f"[layers.pipes] path {pipes} is a symbolic link that loops" in line


def test_an_output_dir_that_loops_is_named(project, cli):
    (project.root / "out").symlink_to("out")
    line = one_clear_error(*cli("--config", project.config, "run")[::2])
    assert "[output] dir" in line and "is a symbolic link that loops" in line
