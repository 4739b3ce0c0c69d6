"""Sample documents in the formats ft reads, shared by the tests and the fuzzer's seeds."""

TELEGRAM = """\
Kernel Notes
812 subscribers
12 photos
40 links
Notes on GPU kernels.

#gpu
Download Telegram
Flash attention without tears

FlashAttention tiles the softmax so the attention matrix never hits HBM.
It trades recomputation for memory traffic.

Full story
1.2K views 14:03
Why int4 needs group scales

Group-wise scales keep outliers from ruining a whole row.

Full story
"""

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Kernel Notes</title>
<item><guid>k-1</guid><title>Tiling a matmul</title><link>https://kernels.example/tiling?utm_source=rss</link>
<description>&lt;p&gt;Shared memory tiles cut &lt;b&gt;global&lt;/b&gt; reads.&lt;/p&gt;</description>
<pubDate>Mon, 06 Jan 2025 10:00:00 GMT</pubDate></item>
<item><guid>k-2</guid><title>Warp shuffles</title><link>https://kernels.example/shuffle</link>
<description>Registers move between lanes without shared memory.</description></item>
</channel></rss>"""
ATOM_FEED = """<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Bread</title>
<entry><id>tag:bread,1</id><title>Cold retard</title><link href="https://bread.example/retard"/>
<updated>2025-02-01T08:00:00Z</updated><content type="html">&lt;p&gt;A night in the fridge builds flavour.&lt;/p&gt;</content></entry></feed>"""

NETSCAPE = """<!DOCTYPE NETSCAPE-Bookmark-file-1>
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE><H1>Bookmarks</H1>
<DL><p>
  <DT><H3 ADD_DATE="1700000000">Reading &amp; papers</H3>
  <DL><p>
    <DT><A HREF="https://www.example.org/post?utm_campaign=z&id=3" ADD_DATE="1700000100">A post &lt;on&gt; caches</A>
    <DT><A HREF="javascript:void(0)">bookmarklet</A>
  </DL><p>
  <DT><A HREF="https://twitter.com/user/status/5">a tweet</A>
</DL><p>"""
