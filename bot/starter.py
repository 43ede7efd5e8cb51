"""`lotse init`: a valid starter config for an administrator, optionally from a network file.

The network file is the format of `config/demo-network.yaml`: its `network`,
`handlungsfelder` and `directory` sections give the rooms, and the Matrix ids of the
network coordination and of each Handlungsfeld's speakers (`sprecher`) become coordinators.
Secrets are never written: the config names the environment variable that holds them.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from bot.config import ConfigError, parse_config


class StarterError(Exception):
    pass


def _matrix_ids(directory: list[dict], ids: list[str]) -> list[str]:
    by_id = {entry.get("id"): entry for entry in directory if isinstance(entry, dict)}
    found = []
    for entry_id in ids or []:
        matrix = ((by_id.get(entry_id) or {}).get("contact") or {}).get("matrix")
        if matrix and matrix not in found:
            found.append(matrix)
    return found


def network_section(network_file: Path, server: str) -> tuple[dict, list[str]]:
    """The `network` config section and the network-wide coordinators, read from a network file."""
    try:
        data = yaml.safe_load(network_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise StarterError(f"{network_file}: cannot be read as YAML ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("network"), dict):
        raise StarterError(f"{network_file}: has no 'network' section")
    net = data["network"]
    directory = data.get("directory") or []
    fields = []
    for hf in data.get("handlungsfelder") or []:
        fields.append(
            {
                "id": hf.get("id"),
                "name_de": hf.get("name_de"),
                "name_en": hf.get("name_en"),
                "room": hf.get("room"),
                "topics": list(hf.get("topics") or []),
                "lik": list(hf.get("lik") or []),
                "coordinators": _matrix_ids(directory, hf.get("sprecher") or []),
            }
        )
    section = {
        "name": net.get("name"),
        "coordination_room": net.get("coordination_room") or net.get("plenary_room") or f"#koordination:{server}",
        "privacy_contact": (data.get("meta") or {}).get("controller_note", ""),
        "handlungsfelder": fields,
    }
    return section, _matrix_ids(directory, [net.get("coordination_entry")])


def starter_config(
    homeserver: str,
    user_id: str,
    data_dir: Path,
    network_file: Path | None = None,
    allow_servers: list[str] | None = None,
    password_env: str = "LOTSE_PASSWORD",
) -> str:
    server = user_id.partition(":")[2]
    if network_file:
        network, coordinators = network_section(network_file, server)
    else:
        network, coordinators = {"name": "Integrationsnetzwerk", "coordination_room": f"#koordination:{server}"}, []
    config = {
        "matrix": {
            "homeserver": homeserver,
            "user_id": user_id,
            "device_name": "Lotse",
            "password_env": password_env,
        },
        "storage": {"data_dir": str(Path(data_dir).resolve())},
        "bot": {"command_prefix": "!", "default_language": "de", "timezone": "Europe/Berlin", "catch_up_minutes": 15},
        "network": network,
        "access": {"coordinators": coordinators, "admins": [], "allowed_servers": allow_servers or [server]},
    }
    try:
        parse_config(config)
    except ConfigError as exc:
        raise StarterError("the result would not be valid:\n  " + "\n  ".join(exc.problems)) from None
    header = (
        "# Lotse configuration, written by `lotse init`. Full reference: config/lotse.example.yaml\n"
        f"# The bot's password is read from the environment variable {password_env}; it is never stored here.\n"
    )
    return header + yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
