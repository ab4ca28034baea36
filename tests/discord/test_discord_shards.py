"""AutoShardedClient: as many shards as Discord recommends, or a configured range per process."""
from __future__ import annotations

import pytest
from conftest import make_adapter
from fake_discord import FakeDiscord
from test_discord_commands import option

SHARD_ONE_GUILD = "333333333337527637"  # (id >> 22) % 2 == 1


@pytest.fixture
async def two_shard_discord():
    server = FakeDiscord(shard_count=2)
    server.add_guild(SHARD_ONE_GUILD)
    await server.start()
    yield server
    await server.stop()


async def test_the_recommended_shard_count_is_used_and_each_shard_answers_its_guilds(core, two_shard_discord):
    fake = two_shard_discord
    adapter = make_adapter(core, fake)
    await adapter.start()
    try:
        assert sorted(tuple(i["shard"]) for i in fake.identifies) == [(0, 2), (1, 2)]
        assert fake.shard_of(fake.guild_id, 2) == 0 and fake.shard_of(SHARD_ONE_GUILD, 2) == 1
        for guild in (fake.guild_id, SHARD_ONE_GUILD):
            payload = fake.interaction_payload("paper", [option("query", "2309.12288")], guild_id=guild,
                                               channel_id=fake.channel_ids(guild)[0])
            record = await fake.interact(payload)
            await record.wait_for(lambda r: r.callbacks)
            assert record.callback["data"]["embeds"][0]["url"] == "https://arxiv.org/abs/2309.12288"
    finally:
        await adapter.stop()


async def test_a_process_runs_only_its_configured_shards(core, two_shard_discord):
    fake = two_shard_discord
    adapter = make_adapter(core, fake, env={"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "1"})
    await adapter.start()
    try:
        assert [i["shard"] for i in fake.identifies] == [[1, 2]]
        assert fake.requests("GET", r"^/gateway") == []  # the configured gateway, no lookup
        assert adapter.client.shard_ids == [1]
    finally:
        await adapter.stop()


async def test_a_wrong_token_stops_start_with_a_clear_error_that_hides_the_token(core, fake):
    from paperboy.adapters.discord.settings import DiscordStartError

    adapter = make_adapter(core, fake, env={"DISCORD_TOKEN": "wrong-token-value-123"})
    with pytest.raises(DiscordStartError) as caught:
        await adapter.start()
    assert "DISCORD_TOKEN" in str(caught.value) and "wrong-token-value-123" not in str(caught.value)
    await adapter.stop()
