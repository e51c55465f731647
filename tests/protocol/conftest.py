"""Fixtures of the app-model tests: the captured gradio 6.31 and hand-written 3.x documents."""

from __future__ import annotations

import pytest

from gradio_client.protocol.api import ApiInfo, AppConfig, info_from_config, parse_config, parse_info, with_info

from .api_helpers import G3, G6


@pytest.fixture(scope="module")
def cfg6() -> AppConfig:
    return parse_config((G6 / "config.json").read_bytes())


@pytest.fixture(scope="module")
def info6() -> ApiInfo:
    return parse_info((G6 / "info.json").read_bytes())


@pytest.fixture(scope="module")
def info6_all() -> ApiInfo:
    return parse_info((G6 / "info_all_endpoints.json").read_bytes())


@pytest.fixture(scope="module")
def app6(cfg6: AppConfig, info6_all: ApiInfo) -> AppConfig:
    return with_info(cfg6, info6_all)


@pytest.fixture(scope="module")
def cfg3() -> AppConfig:
    return parse_config((G3 / "config.json").read_text())


@pytest.fixture(scope="module")
def app3(cfg3: AppConfig) -> AppConfig:
    return with_info(cfg3, info_from_config(cfg3))
