"""The loader never raises anything but ProfileError, and a bad file never hides a good one."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.errors import ProfileError
from matcher.profiles.load import load_folder, parse_profile

VALID = """name: Good
country: CN
kind: company
capabilities:
  - laser scanning
needs: [drone platforms]
sources:
  - article: a.txt
    quote: "a quote"
"""

yaml_scalars = st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)


@st.composite
def mutated(draw):
    """The valid profile with a few characters inserted, deleted or replaced."""
    text = VALID
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        ch = draw(st.sampled_from(list(":-[]{}!&*#'\"\n\t |>%@`") + ["!!python/object:os.system ", "\x00", "é"]))
        if op == "insert":
            text = text[:i] + ch + text[i:]
        elif op == "delete":
            text = text[:i] + text[i + 1 :]
        else:
            text = text[:i] + ch + text[i + 1 :]
    return text


def _parse_only_raises_profile_error(text):
    try:
        parse_profile(text, "fuzz.yaml")
    except ProfileError as exc:
        assert exc.problems and all(str(p).startswith("fuzz.yaml") for p in exc.problems)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text(text):
    _parse_only_raises_profile_error(text)


@settings(max_examples=300, deadline=None)
@given(mutated())
def test_mutated_profile(text):
    _parse_only_raises_profile_error(text)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "name",
                "country",
                "kind",
                "needs",
                "capabilities",
                "sources",
                "aliases",
                "partners",
                "sectors",
                "city",
                "summary",
                "oops",
            ]
        ),
        yaml_values,
    )
)
def test_random_structures(data):
    import yaml

    _parse_only_raises_profile_error(yaml.safe_dump(data))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(mutated(), st.binary(max_size=100).map(lambda b: b.decode("latin-1"))))
def test_bad_neighbour_never_loses_the_good_profile(tmp_path, text):
    (tmp_path / "good.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "other.yaml").write_text(text, encoding="utf-8", errors="surrogateescape")
    loaded = load_folder(tmp_path)
    assert "Good" in [p.name for p in loaded.profiles]  # good.yaml sorts first: it is never the one skipped
    assert len(loaded.profiles) + len({p.path for p in loaded.errors}) == 2
