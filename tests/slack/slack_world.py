"""The Slack tests' world: a few real papers (one with a hostile title) and the adapter wired to the fake."""
from __future__ import annotations

from datetime import UTC, datetime

from fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack

from paperboy.adapters.slack.adapter import SlackAdapter
from paperboy.bot.models import Paper

# 08:00 in New York on a Tuesday.
START = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)

PAPERS = (
    Paper(key="2309.12288", arxiv_id="2309.12288",
          title='The Reversal Curse: LLMs trained on "A is B" fail to learn "B is A"',
          abstract="We expose a surprising failure of generalization in auto-regressive large language models "
                   "(LLMs). If a model is trained on a sentence of the form A is B, it will not automatically "
                   "generalize to the reverse direction B is A.",
          authors=("Lukas Berglund", "Meg Tong", "Max Kaufmann", "Mikita Balesni", "Asa Cooper Stickland",
                   "Tomasz Korbak", "Owain Evans"),
          published="2023-09-21", categories=("cs.CL", "cs.AI", "cs.LG"), upvotes=31, source="test"),
    Paper(key="1706.03762", arxiv_id="1706.03762", title="Attention Is All You Need",
          abstract="The dominant sequence transduction models are based on complex recurrent or convolutional "
                   "neural networks. We propose a new simple network architecture, the Transformer, based "
                   "solely on attention mechanisms.",
          authors=("Ashish Vaswani", "Noam Shazeer", "Niki Parmar", "Jakob Uszkoreit"),
          published="2017-06-12", categories=("cs.CL", "cs.LG"), upvotes=120, source="test"),
    Paper(key="2006.11239", arxiv_id="2006.11239", title="Denoising Diffusion Probabilistic Models",
          abstract="We present high quality image synthesis results using diffusion probabilistic models, a "
                   "class of latent variable models inspired by considerations from nonequilibrium "
                   "thermodynamics.",
          authors=("Jonathan Ho", "Ajay Jain", "Pieter Abbeel"), published="2020-06-19",
          categories=("cs.LG", "stat.ML"), upvotes=80, source="test"),
    Paper(key="2312.00752", arxiv_id="2312.00752",
          title="Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
          abstract="Foundation models, now powering most of the exciting applications in deep learning, are "
                   "almost universally based on the Transformer architecture and its core attention module.",
          authors=("Albert Gu", "Tri Dao"), published="2023-12-01", categories=("cs.LG", "cs.AI"),
          upvotes=95, source="test"),
    Paper(key="2401.09999", arxiv_id="2401.09999",
          title="<!channel> <@U0BOB> *Bold* Claims & <Angle> Brackets in Titles",
          abstract="A paper whose metadata tries to ping everyone: <!here> and <https://evil.example|click>.",
          authors=("<@U0ADMIN>", "Eve Example"), published="2024-01-18", categories=("cs.CR",),
          upvotes=3, source="test"),
)


def make_adapter(core, fake: FakeSlack, **options) -> SlackAdapter:
    settings = dict(bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=fake.base_url, channel_interval=0.0,
                    max_retry_wait=3.0)
    settings.update(options)
    return SlackAdapter(core, **settings)
