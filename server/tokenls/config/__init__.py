"""Settings: validated once into a typed object, layered by precedence, under trust rules."""

from __future__ import annotations

from tokenls.config.settings import (
    CONFIG_FILE,
    DEFAULT_INCLUDE,
    INLAY_HINT_LEVELS,
    ConfigFile,
    FileSettings,
    HttpSettings,
    Problem,
    RateSettings,
    Settings,
    Thresholds,
    apply_settings,
    apply_workspace_file,
    find_config,
    load_config_for,
    load_user_settings,
    workspace_root,
)
from tokenls.config.trust import user_config_path

__all__ = [
    "CONFIG_FILE",
    "DEFAULT_INCLUDE",
    "INLAY_HINT_LEVELS",
    "ConfigFile",
    "FileSettings",
    "HttpSettings",
    "Problem",
    "RateSettings",
    "Settings",
    "Thresholds",
    "apply_settings",
    "apply_workspace_file",
    "find_config",
    "load_config_for",
    "load_user_settings",
    "user_config_path",
    "workspace_root",
]
