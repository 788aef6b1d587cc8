"""The deployment files agree with the code (no Docker engine here to run them; docs/DEPLOYMENT.md says how
they were run by hand): the image holds every package, compose's settings are real settings, and every
file and variable compose relies on exists."""

from __future__ import annotations

import os
import re
import tomllib

import yaml

from hotline.settings import Settings
from tests.helpers import ROOT

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
ENV_EXAMPLE = ROOT / "hotline.env.example"
NOT_SETTINGS = {"FORWARDED_ALLOW_IPS", "POSTGRES_PASSWORD"}  # read by uvicorn, by PostgreSQL's image


def test_the_image_holds_every_package_the_project_installs() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (ROOT / "Dockerfile").read_text(), re.MULTILINE))
    assert copied == packages


def test_every_setting_compose_and_its_env_file_name_is_one_the_app_reads() -> None:
    known = {f"HOTLINE_{name.upper()}" for name in Settings.model_fields}
    named = set(COMPOSE["x-app"]["environment"])
    named |= {line.split("=", 1)[0] for line in ENV_EXAMPLE.read_text().splitlines() if re.match(r"^[A-Z_]+=", line)}
    assert named - known - NOT_SETTINGS == {"HOTLINE_HTTP_PORT"}  # compose's own: where the proxy listens


def test_every_variable_compose_requires_is_in_the_env_file() -> None:
    required = set(re.findall(r"\$\{(\w+):\?", (ROOT / "compose.yaml").read_text()))
    example = {line.split("=", 1)[0] for line in ENV_EXAMPLE.read_text().splitlines() if "=" in line}
    assert required and required <= example


def test_every_file_compose_mounts_or_runs_exists() -> None:
    for service in COMPOSE["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), source
        for script in service.get("entrypoint", []):
            local = ROOT / script.replace("/deploy/", "deploy/")
            assert local.is_file() and os.access(local, os.X_OK), f"{script} is not an executable file"


def test_the_proxy_sends_to_the_app_nodes_compose_runs() -> None:
    apps = {name for name, service in COMPOSE["services"].items() if "hotline" in service.get("command", [])}
    proxied = {v.split(":")[0] for k, v in COMPOSE["services"]["proxy"]["environment"].items() if "NODE" in k}
    assert proxied == apps == {"app-1", "app-2"}
    config = (ROOT / "deploy" / "haproxy.cfg").read_text()
    assert all(f'"${{{k}}}"' in config for k in COMPOSE["services"]["proxy"]["environment"])
