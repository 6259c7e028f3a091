"""References from a prompt to files and variables: parsing, safe resolution, counting."""

from tokenls.references.files import FilePolicy, ReferenceRefused
from tokenls.references.parse import Reference, default_syntaxes, parse_references
from tokenls.references.resolve import Resolved, Resolver

__all__ = [
    "FilePolicy",
    "Reference",
    "ReferenceRefused",
    "Resolved",
    "Resolver",
    "default_syntaxes",
    "parse_references",
]
