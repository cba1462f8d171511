# case: expect: nothing. asyncio timeouts under the limit
import asyncio


async def main(coro):
    await asyncio.wait_for(coro, timeout=60)
    async with asyncio.timeout(30):
        pass
