# case: asyncio.timeout(delay) context manager
import asyncio


async def main():
    async with asyncio.timeout(3 * 3600):  # expect: TT001 10800
        await asyncio.sleep(1)
