"""7.1 From fully connected layers to convolutions: the parameter counts."""

from hypothesis import strategies as st

from ..oracles import reference
from .properties import agrees_with, fixed_example


def exact(expected, got):
    return None if type(got) is int and got == expected else f"got {got!r}, expected {expected!r}"


sides = st.integers(1, 2000)
CHECKS = [
    fixed_example("fully_connected_param_count", "one-megapixel image needs 10**12 weights", (1000, 1000), {},
                  10**12, compare=exact),
    agrees_with("fully_connected_param_count", "any image size", st.tuples(st.tuples(sides, sides), st.just({})),
                lambda h, w: reference("fully_connected_param_count")(h, w), compare=exact),
    agrees_with("translation_invariant_param_count", "one weight per offset, any image size",
                st.tuples(st.tuples(sides, sides), st.just({})),
                lambda h, w: reference("translation_invariant_param_count")(h, w), compare=exact),
    fixed_example("local_param_count", "delta=10 keeps 441 weights (not 4*delta**2)", (10,), {}, 441, compare=exact),
    agrees_with("local_param_count", "any window and channel counts",
                st.tuples(st.tuples(st.integers(0, 50)), st.fixed_dictionaries(
                    {"in_channels": st.integers(1, 64), "out_channels": st.integers(1, 64)})),
                lambda d, **kw: reference("local_param_count")(d, **kw), compare=exact),
]
