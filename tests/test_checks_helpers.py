"""No double jeopardy: while an item is graded, the helpers it may call (grader/checks/dependencies.py)
are the book's versions when the student's own fail, a class built on a graded class gets the
book's base, and the book's helpers are right (each passes its own item). In-process
(tests/in_process.py)."""

from unittest import mock

import pytest
from in_process import InProcessKernel, checks_of, run_check
from mutants import MUTANTS

from grader.checks.dependencies import HELPERS
from grader.items import ITEMS
from grader.kernel_side import library_guard
from grader.kernel_side.stand_ins import HELPER_NAMES
from solutions.fill import reference_definitions

DEFINITIONS = reference_definitions()


def mutant(description):
    (source,) = [text for _, what, text in MUTANTS if what.startswith(description)]
    return source


def passes_all(item, kernel):
    return [run_check(check, kernel=kernel)[:2] for check in checks_of(item)] == [(True, 1.0)] * len(checks_of(item))


def test_a_dependent_is_graded_on_the_reference_helper_and_the_students_comes_back():
    kernel = InProcessKernel(mutant("flipped kernel"), DEFINITIONS["Conv2D"])
    students = kernel.namespace["corr2d"]
    assert passes_all("Conv2D", kernel)
    assert kernel.namespace["corr2d"] is students


def test_a_subclass_of_a_broken_base_is_graded_on_the_reference_base():
    """ResNet18(ResNet) with the student's ResNet missing its max pooling: ResNet18 keeps its points."""
    kernel = InProcessKernel(DEFINITIONS["Residual"], mutant("stem without its max pooling"), DEFINITIONS["ResNet18"])
    resnet18, resnet = kernel.namespace["ResNet18"], kernel.namespace["ResNet"]
    assert passes_all("ResNet18", kernel)
    assert resnet18.__bases__ == (resnet,)  # the swap is undone
    (shapes,) = checks_of("ResNet", "output shape")
    assert not run_check(shapes, kernel=kernel)[0]


def test_a_subclass_calling_its_base_by_name_is_graded_on_the_reference_base():
    calls_by_name = ("class ResNet18(ResNet):\n    def __init__(self, lr=0.1, num_classes=10):\n"
                     "        ResNet.__init__(self, ((2, 64), (2, 128), (2, 256), (2, 512)), lr, num_classes)\n")
    kernel = InProcessKernel(mutant("ReLU missing after the first"), mutant("every stage starts by halving"),
                             calls_by_name)
    (check,) = checks_of("ResNet18", "same function")
    assert run_check(check, kernel=kernel)[:2] == (True, 1.0)


def test_a_helper_of_a_helper_is_the_reference_too():
    """VGG on a vgg_block with no padding; corr2d_multi_in_out on a broken corr2d_multi_in."""
    kernel = InProcessKernel(mutant("convolutions not padded"), DEFINITIONS["VGG"],
                             mutant("only the first channel"), DEFINITIONS["corr2d_multi_in_out"])
    assert passes_all("VGG", kernel) and passes_all("corr2d_multi_in_out", kernel)


def test_a_students_own_helpers_that_fit_are_used_and_the_reference_never_enters():
    """This VGG passes a third argument to its own (correct) vgg_block; the reference takes two."""
    own_block = ("def vgg_block(num_convs, out_channels, name='block'):\n"
                 "    layers = []\n    for _ in range(num_convs):\n"
                 "        layers += [nn.LazyConv2d(out_channels, kernel_size=3, padding=1), nn.ReLU()]\n"
                 "    return nn.Sequential(*layers, nn.MaxPool2d(kernel_size=2, stride=2))\n")
    vgg = DEFINITIONS["VGG"].replace("vgg_block(num_convs, out_channels)", "vgg_block(num_convs, out_channels, 'b')")
    kernel = InProcessKernel(own_block, vgg)
    results = [run_check(check, kernel=kernel) for check in checks_of("VGG")]
    assert all(passed for passed, _, _ in results)
    assert not any("book's helpers" in message for _, _, message in results)
    assert kernel.references and not any(kernel.references)


def test_a_broken_helper_brings_in_the_books_and_the_dependent_is_told():
    kernel = InProcessKernel(mutant("flipped kernel"), DEFINITIONS["Conv2D"])
    (check,) = checks_of("Conv2D")
    passed, _, message = run_check(check, kernel=kernel)
    assert passed and "on the book's helpers" in message
    assert [] in kernel.references and ["corr2d"] in kernel.references


def test_when_neither_helper_fits_the_failure_with_the_books_helpers_is_reported():
    vgg = DEFINITIONS["VGG"].replace("vgg_block(num_convs, out_channels)", "vgg_block(num_convs, out_channels, 'b')")
    (check,) = checks_of("VGG", "parameter count")
    passed, _, message = run_check(check, mutant("convolutions not padded"), vgg)
    assert not passed and "positional argument" in message


def test_helpers_name_graded_items_and_each_has_a_book_stand_in():
    for item, helpers in HELPERS.items():
        assert item in ITEMS and item not in helpers and set(helpers) <= set(ITEMS)
    assert {h for helpers in HELPERS.values() for h in helpers} == set(HELPER_NAMES)


@pytest.mark.parametrize("item", HELPER_NAMES)
def test_every_book_stand_in_earns_full_marks_as_its_own_item(item):
    """A stand-in is the book's code: graded as the student's own definition, it passes every
    public check of its item, so a dependent graded on it is graded on a right helper."""
    kernel = InProcessKernel(f"from grader.kernel_side.stand_ins import stand_in\n{item} = stand_in({item!r})")
    with mock.patch.object(library_guard, "library_copies", lambda *args, **kwargs: []):  # graded as one's own
        results = {check.title: run_check(check, kernel=kernel) for check in checks_of(item) if not check.hidden}
    assert all(passed for passed, _, _ in results.values()), {t: m for t, (p, _, m) in results.items() if not p}
