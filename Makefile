# Each entry point sets everything up on a fresh machine first:
#   make grade   - grade the notebooks in assignment/ (or SUBMISSION=path) and print the score table
#                  (ITEM="pool2d corr2d": only those items, running only the notebooks that define them)
# >>> instructor only: the student release leaves the lines between these markers out
#   make test    - check the code (ruff, mypy), then run the project's own test suite
# <<< instructor only
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
SUBMISSION ?= assignment
# torch goes in first, pinned: on Linux from PyTorch's CPU-only index (PyPI's Linux build pulls
# gigabytes of CUDA packages a CPU grader never uses), elsewhere from the default index (macOS
# builds are CPU-only). Where that index cannot be reached (offline, a local wheel mirror), it is
# left out rather than retried, and pip takes torch from what it can reach.
TORCH_VERSION ?= 2.13.0
EXTRAS = dev,grading
# >>> instructor only
EXTRAS = dev,grading,instructor,lint
# <<< instructor only
# TORCH_BUILD picks the build: cpu (the default), cuda (PyPI's Linux build, which brings CUDA: the
# instructor's GPU path, `make clean setup TORCH_BUILD=cuda`), or the name of one of PyTorch's
# indexes, e.g. cu126.
TORCH_BUILD ?= cpu
TORCH_INDEX ?= $(if $(filter cpu,$(TORCH_BUILD)),$(if $(filter Linux,$(shell uname -s)),https://download.pytorch.org/whl/cpu),$(if $(filter cuda,$(TORCH_BUILD)),,https://download.pytorch.org/whl/$(TORCH_BUILD)))
# >>> instructor only
# A copy of Fashion-MNIST in ../shared/data/fashion-mnist is used when there is one; otherwise the
# grader downloads it into ~/.cache/d2l-course (or set FASHION_MNIST_DIR yourself).
export FASHION_MNIST_DIR ?= $(if $(wildcard ../shared/data/fashion-mnist/*.gz),$(abspath ../shared/data/fashion-mnist),)
# <<< instructor only

.PHONY: setup grade clean

# Quiet on purpose: a student sees one line, then the error if something fails. It does nothing
# when $(VENV)/.installed says the environment was made for this folder after pyproject.toml last
# changed, and sets up again otherwise (a folder copied with its .venv). Without make, students
# run the same: python -m grader.homework_setup (grader/homework_setup.py).
setup:
	@$(PYTHON) -m grader.homework_setup --venv "$(VENV)" --extras "$(EXTRAS)" --torch-version "$(TORCH_VERSION)" --torch-index "$(TORCH_INDEX)"

# pytest exits 1 when some checks fail: that is a grade, not a broken run, so make succeeds;
# any other status (grading could not start, a usage error) still fails.
grade: setup
	@$(BIN)/python -m pytest grader --submission "$(SUBMISSION)" $(foreach item,$(ITEM),--item $(item)) $(PYTEST_ARGS); status=$$?; [ $$status -le 1 ]

# >>> instructor only
.PHONY: lint test test-fast test-all grade-class release

# ruff on the whole tree; mypy on the seams pyproject.toml names ([tool.mypy] files); the GitHub
# workflows through zizmor (auditor persona, offline) and GitHub's workflow schema.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/zizmor --quiet --persona=auditor --offline .github/workflows/
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

# The default suite leaves out the tests marked slow and prints the 25 slowest (to keep it fast).
test: setup lint
	$(BIN)/python -m pytest tests --durations=25 $(PYTEST_ARGS)

# The loop while working: no slow test, none that starts a kernel and none that trains a model
# or checks whole models in-process (about a minute).
test-fast: setup
	$(BIN)/python -m pytest tests -m "not slow and not kernel and not heavy" $(PYTEST_ARGS)

test-all: setup
	$(BIN)/python -m pytest tests -m "" $(PYTEST_ARGS)

# Instructor tools (docs/instructors.md):
#   make grade-class CLASS=path/to/folder-or-export.zip [CLASS_OUT=build/class] [JOBS=2]
#   make release GRADER_REPO=owner/name STARTER_REPO=owner/name [GRADER_REF=commit-or-tag] [STARTER_REF=ref]
#                [RELEASE_OUT=build/student-repo]
CLASS_OUT   ?= build/class
RELEASE_OUT ?= build/student-repo

grade-class: setup
	$(if $(CLASS),,$(error set CLASS=folder or zip export of the submissions))
	$(BIN)/python -m grader.instructor grade-class $(CLASS) --out $(CLASS_OUT) $(if $(JOBS),--jobs $(JOBS)) $(GRADE_CLASS_ARGS)

release: setup
	$(if $(GRADER_REPO),,$(error set GRADER_REPO=owner/name of this repository on GitHub))
	$(if $(STARTER_REPO),,$(error set STARTER_REPO=owner/name of the public repository students get the release from))
	$(BIN)/python -m grader.instructor release --out $(RELEASE_OUT) --grader-repo $(GRADER_REPO) $(if $(GRADER_REF),--grader-ref $(GRADER_REF)) \
		--starter-repo $(STARTER_REPO) $(if $(STARTER_REF),--starter-ref $(STARTER_REF)) $(RELEASE_ARGS)
# <<< instructor only

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .benchmarks
