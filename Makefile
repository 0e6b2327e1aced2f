# Two entry points, each sets everything up on a fresh machine first:
#   make grade   - grade the notebooks in assignment/ (or SUBMISSION=path) and print the score table
#   make test    - run the project's own test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
SUBMISSION ?= assignment
# The workplace keeps Fashion-MNIST beside the checkout; elsewhere set FASHION_MNIST_DIR yourself.
export FASHION_MNIST_DIR ?= $(if $(wildcard ../shared/data/fashion-mnist/*.gz),$(abspath ../shared/data/fashion-mnist),)

.PHONY: setup grade test test-all clean grade-class release

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# Pinned CPU wheel first: an unpinned torch would pull gigabytes of CUDA packages.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[dev,grading]"
	# torchvision only where a build matching torch imports (the notes say why when it does not)
	$(BIN)/python -m grader.setup_environment
	touch $@

# pytest exits 1 when some checks fail: that is a grade, not a broken run, so make succeeds;
# any other status (grading could not start, a usage error) still fails.
grade: setup
	$(BIN)/python -m pytest grader --submission $(SUBMISSION) $(PYTEST_ARGS); status=$$?; [ $$status -le 1 ]

test: setup
	$(BIN)/python -m pytest tests $(PYTEST_ARGS)

test-all: setup
	$(BIN)/python -m pytest tests -m "" $(PYTEST_ARGS)

# Instructor tools (README, "For instructors"):
#   make grade-class CLASS=path/to/folder-or-export.zip [CLASS_OUT=build/class] [JOBS=2]
#   make release GRADER_REPO=owner/name [GRADER_REF=commit-or-tag] [RELEASE_OUT=build/student-repo]
CLASS_OUT   ?= build/class
RELEASE_OUT ?= build/student-repo

grade-class: setup
	$(if $(CLASS),,$(error set CLASS=folder or zip export of the submissions))
	$(BIN)/python -m grader.instructor grade-class $(CLASS) --out $(CLASS_OUT) $(if $(JOBS),--jobs $(JOBS)) $(GRADE_CLASS_ARGS)

release: setup
	$(if $(GRADER_REPO),,$(error set GRADER_REPO=owner/name of this repository on GitHub))
	$(BIN)/python -m grader.instructor release --out $(RELEASE_OUT) --grader-repo $(GRADER_REPO) $(if $(GRADER_REF),--grader-ref $(GRADER_REF)) $(RELEASE_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .benchmarks
