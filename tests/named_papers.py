"""Papers known by a name (LoRA, and QLoRA, which only uses it), for the adapters' name and
description lookup tests."""
from paperboy.bot.models import Paper

LORA_AND_A_USER = [
    Paper(key="2106.09685", arxiv_id="2106.09685", title="LoRA: Low-Rank Adaptation of Large Language Models",
          abstract="We propose Low-Rank Adaptation, or LoRA, which freezes the pre-trained model weights and "
                   "injects trainable rank decomposition matrices into each layer of the Transformer.",
          authors=("Edward J. Hu",), published="2021-06-17", categories=("cs.CL",)),
    Paper(key="2305.14314", arxiv_id="2305.14314", title="QLoRA: Efficient Finetuning of Quantized LLMs",
          abstract="We present QLoRA, which backpropagates through a frozen 4-bit model into LoRA adapters.",
          authors=("Tim Dettmers",), published="2023-05-23", categories=("cs.LG",)),
]

# What LoRA did, in a colleague's words rather than its title's.
DESCRIBED_LORA = "the trick where the big model's weights stay frozen and small trainable matrices go into every layer"
