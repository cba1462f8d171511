# case: asyncio.wait_for(coro, 7200)
import asyncio


async def main(coro):
    await asyncio.wait_for(coro, 7200)  # expect: TT001 7200
