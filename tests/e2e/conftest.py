"""The end-to-end tier: a real Synapse on 127.0.0.1, started once per test session."""
from __future__ import annotations

import pytest

from devtools import processes
from devtools.homeserver import LocalSynapse
from tests.e2e.harness import BotRunner, MatrixUser, bot_config, unique


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
async def stop_what_the_test_started(tmp_path):
    """The finaliser of every e2e test, passed or failed: in-process bots still running are
    stopped, and so is every process whose command line names the test's directory (a bot
    process, a Synapse of the test's own)."""
    yield
    for runner in list(BotRunner.running):
        try:
            await runner.stop()
        except Exception:  # noqa: BLE001 - the test has failed already; clean up the rest
            BotRunner.running.discard(runner)
    for proc in processes.mentioning(f"{tmp_path}/"):
        processes.stop(proc.pid)


@pytest.fixture(scope="session")
def synapse(tmp_path_factory):
    hs = LocalSynapse(tmp_path_factory.mktemp("synapse")).start()
    yield hs
    hs.stop()


@pytest.fixture
async def make_user(synapse, tmp_path):
    users: list[MatrixUser] = []

    async def make(name: str = "user", encrypted: bool = False) -> MatrixUser:
        localpart = unique(name)
        store = tmp_path / "client-stores" / localpart if encrypted else None
        user = await MatrixUser(synapse, localpart, store=store).login()
        users.append(user)
        return user

    yield make
    for user in users:
        await user.close()


@pytest.fixture
async def make_bot(synapse, tmp_path):
    runners: list[BotRunner] = []

    async def make(**overrides) -> BotRunner:
        localpart = unique("lotse")
        synapse.register(localpart, "pw-bot")
        runner = BotRunner(bot_config(synapse, tmp_path / localpart, localpart, **overrides), "pw-bot")
        await runner.start()
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        if runner.task and not runner.task.done():
            await runner.stop()
