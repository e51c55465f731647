# A notebook-style session: top-level ``await``, as in Jupyter or ``python -m asyncio``.
#
#     GRADIO_URL=http://127.0.0.1:7860/ python -m asyncio < examples/notebook_asyncio.py
#
# Paste the cells into a notebook (IPython runs top-level await on its asyncio loop) or feed
# the file to the asyncio REPL as above.  No asyncio.run(), no event loop to manage: the
# client's tasks live on the loop the notebook already runs.  In the REPL a block ends
# with a blank line.  Uses the kitchen-sink app (examples/apps/kitchen_sink.py).
import os
from gradio_client import AsyncClient

client = await AsyncClient.connect(os.environ.get("GRADIO_URL", "http://127.0.0.1:7860/"), verbose=False)
print("calculator:", await client.predict(3, "add", 4, api_name="/calculator"))

# a generator: its outputs as they come
job = await client.submit(3, api_name="/count")
async for value in job.iter_outputs():
    print("count output:", value)

print("count status:", job.status().code.name)

# many calls at once: submit them all, then collect
jobs = [await client.submit(f"hello {i}", api_name="/echo") for i in range(5)]
print("echo:", [await j.result() for j in jobs])

await client.aclose()
print("closed")
