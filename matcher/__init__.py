"""matcher: partner matchmaking for technology-transfer offices.

Profiles say what organisations offer and seek; ``Matcher`` ranks whom each should meet and explains why.
"""

__version__ = "0.1.0"

from .errors import MatcherError, Problem, ProfileError, UnknownOrganisation  # noqa: E402
from .profiles.load import load_folder, load_profile, parse_profile  # noqa: E402
from .profiles.model import Profile, Source  # noqa: E402

__all__ = [
    "MatcherError",
    "Problem",
    "Profile",
    "ProfileError",
    "Source",
    "UnknownOrganisation",
    "load_folder",
    "load_profile",
    "parse_profile",
    "__version__",
]
