"""Every command in the README's Configuration and Deployment sections works as written.

The Configuration block runs verbatim with bash in a directory laid out like a clone. The
Deployment commands run against the tier's real Synapse with one substitution: the config
path /etc/lotse/lotse.yaml becomes a test file. Docker cannot run here (no engine), so its
commands are checked against the Dockerfile, .dockerignore and Lotse's own argument parser.
A README command this file does not know fails the first test: add it here.
"""
from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path

import yaml

from bot.__main__ import parser as lotse_parser
from tests.e2e.harness import unique

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIG_PATH = "/etc/lotse/lotse.yaml"
IN_IMAGE = "/config/lotse.yaml"
KNOWN = {
    "Configuration": [
        ". .venv/bin/activate",
        "cp config/demo-network.yaml my-network.yaml",
        "lotse init --homeserver https://matrix.integration.example --user-id @lotse:integration.example "
        "--data-dir /var/lib/lotse --network my-network.yaml > lotse.yaml",
        "lotse check-config lotse.yaml",
    ],
    "Deployment": [
        "lotse run --config /etc/lotse/lotse.yaml",
        "docker build -t lotse .",
        "docker run -d --name lotse -v lotse-data:/data -v /etc/lotse/lotse.yaml:/config/lotse.yaml:ro "
        "-e LOTSE_PASSWORD=… lotse",
        "lotse crypto bootstrap --config /etc/lotse/lotse.yaml",
        "docker run -it --rm -v lotse-data:/data -v /etc/lotse/lotse.yaml:/config/lotse.yaml:ro "
        "-e LOTSE_PASSWORD=… lotse crypto bootstrap --config /config/lotse.yaml",
        "lotse crypto status --config /etc/lotse/lotse.yaml",
        "lotse crypto restore --config /etc/lotse/lotse.yaml",
        "lotse crypto bootstrap --reset --config /etc/lotse/lotse.yaml",
        "lotse health --config /etc/lotse/lotse.yaml",
    ],
}
RECOVERY_KEY = re.compile(r"\bEs[1-9A-HJ-NP-Za-km-z]{2}(?: [1-9A-HJ-NP-Za-km-z]{1,4}){11,}")


def section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def block_commands(text: str) -> list[str]:
    """The commands of the fenced sh blocks: continuation lines joined, comments dropped."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                commands.append(" ".join(words))
    return commands


def inline_commands(text: str) -> list[str]:
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    return [span for span in re.findall(r"`([^`]+)`", prose) if span.split()[0] in ("lotse", "docker")]


def test_the_readme_sections_hold_exactly_the_commands_tested_here():
    for title, known in KNOWN.items():
        text = section(title)
        assert block_commands(text) == known, f"README section {title} changed: update this test"
        for span in inline_commands(text):  # prose mentions only commands of the blocks
            assert any(command.startswith(span) for command in known), span


def run(command: str, cwd: Path, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def readme_env(**extra: str) -> dict:
    """A shell that followed the README: `lotse` of the clone's .venv first on the PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTSE_") or k == "LOTSE_SYNAPSE_PYTHON"}
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}"
    env.update(extra)
    return env


def test_the_configuration_block_runs_as_written_in_a_clone(tmp_path):
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in (".venv", "config"):
        (clone / name).symlink_to(ROOT / name)
    script = clone / "configuration.sh"
    script.write_text("set -e\n" + "\n".join(KNOWN["Configuration"]) + "\n")
    env = readme_env()
    env["PATH"] = os.environ.get("PATH", "")  # `lotse` comes from the activation line only
    done = subprocess.run(["bash", str(script)], cwd=clone, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "lotse.yaml: OK (9 Handlungsfelder, 10 rooms)"
    assert done.stderr == ""  # no problems and no warnings: rooms, people and Lotse on one server
    config = yaml.safe_load((clone / "lotse.yaml").read_text())
    assert config["storage"]["data_dir"] == "/var/lib/lotse"
    assert config["network"]["coordination_room"] == "#in-saalebogen-plenum:integration.example"
    # check-config's promise in the README: a broken file gives exit code 2 and the key path.
    config["matrix"]["user_id"] = "lotse"
    (clone / "lotse.yaml").write_text(yaml.safe_dump(config))
    broken = run(". .venv/bin/activate && " + KNOWN["Configuration"][-1], clone, env)
    assert broken.returncode == 2 and "matrix.user_id: must look like @name:server" in broken.stderr


def test_the_deployment_commands_run_as_written_against_a_real_homeserver(synapse, tmp_path):
    localpart = unique("lotse")
    synapse.register(localpart, "pw-readme")
    config_file = tmp_path / "lotse.yaml"
    init = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "lotse"), "init", "--homeserver", synapse.url,
         "--user-id", f"@{localpart}:{synapse.server_name}", "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, check=True)
    config_file.write_text(init.stdout)
    env = readme_env(LOTSE_PASSWORD="pw-readme")
    commands = {c.split(" --config")[0]: c.replace(CONFIG_PATH, str(config_file))
                for c in KNOWN["Deployment"] if c.startswith("lotse ")}

    bootstrap = run(commands["lotse crypto bootstrap"], tmp_path, env)
    assert bootstrap.returncode == 0, bootstrap.stderr
    first_key = RECOVERY_KEY.search(bootstrap.stdout).group(0)
    assert run(commands["lotse crypto status"], tmp_path, env).returncode == 0

    process = subprocess.Popen(["bash", "-c", "exec " + commands["lotse run"]], cwd=tmp_path, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while run(commands["lotse health"], tmp_path, env).returncode != 0:
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "lotse run did not sync within 300 s"
            time.sleep(1)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(120) == 0
    assert "Traceback" not in process.stderr.read()

    # The data directory is lost: restore brings the keys back onto a new device.
    import shutil

    shutil.rmtree(tmp_path / "data")
    restore = run(commands["lotse crypto restore"], tmp_path, dict(env, LOTSE_RECOVERY_KEY=first_key))
    assert restore.returncode == 0, restore.stderr
    assert "is cross-signed" in restore.stdout
    assert run(commands["lotse crypto status"], tmp_path, env).returncode == 0

    reset = run(commands["lotse crypto bootstrap --reset"], tmp_path, env)
    assert reset.returncode == 0, reset.stderr
    assert RECOVERY_KEY.search(reset.stdout).group(0) != first_key
    assert run(commands["lotse crypto status"], tmp_path, env).returncode == 0


def test_the_docker_commands_fit_the_dockerfile_and_the_dockerignore():
    """No Docker engine here: what `docker build` and `docker run` rely on is checked instead."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    docker = [shlex.split(c) for c in KNOWN["Deployment"] if c.startswith("docker ")]
    build = next(c for c in docker if c[1] == "build")
    assert build[2:] == ["-t", "lotse", "."] and (ROOT / "Dockerfile").exists()

    # The build context is only what the Dockerfile copies: allow-list in .dockerignore.
    assert "*" in [line.strip() for line in ignore]  # everything is left out, but for the lines with !
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copied = set()
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            copied |= set(line.split()[1:-1])
    assert copied == allowed
    for secret_or_bulky in (".venv", ".synapse-venv", ".postgres-venv", "demo-data", ".git", "tests", "bench"):
        assert secret_or_bulky not in allowed

    # Every `lotse` invocation the image makes, and every docker run in the README, parses with
    # Lotse's own parser and names the config mounted at /config/lotse.yaml.
    entrypoint = re.search(r'^ENTRYPOINT \["lotse"\]$', dockerfile, re.M)
    assert entrypoint
    image_args = [re.findall(r'"([^"]+)"', line) for line in dockerfile.splitlines() if line.strip().startswith(("CMD", "HEALTHCHECK"))]
    image_args = [args[1:] if args and args[0] == "lotse" else args for args in image_args if args]
    assert ["health", "--config", IN_IMAGE] in image_args and ["run", "--config", IN_IMAGE] in image_args
    for run_words in (c for c in docker if c[1] == "run"):
        assert f"{CONFIG_PATH}:{IN_IMAGE}:ro" in run_words and "lotse-data:/data" in run_words
        after_image = run_words[len(run_words) - run_words[::-1].index("lotse"):]
        image_args.append(after_image or ["run", "--config", IN_IMAGE])  # no arguments: the image's CMD
    for args in image_args:
        parsed = lotse_parser().parse_args(args)
        assert str(parsed.config) == IN_IMAGE, args
    assert 'VOLUME ["/data"]' in dockerfile
