"""The folders keep the design card's layout (bot/, storage/ and adapters/ beside paperboy/) and
install as one namespace, paperboy.bot, paperboy.storage and paperboy.adapters, so no top-level
name can collide with another distribution's. A new package under any of them is found here."""
from setuptools import find_packages, setup

FOLDERS = ("bot", "storage", "adapters")

setup(
    package_dir={"paperboy": "paperboy", **{f"paperboy.{folder}": folder for folder in FOLDERS}},
    packages=["paperboy", *(f"paperboy.{package}" for package in find_packages(include=[f"{f}*" for f in FOLDERS]))],
)
