// Hand-written pieces of ordinary traffic: names, addresses, prose, markdown, developer chatter, URLs,
// search terms, code snippets, user agents. generate.ts combines them into whole requests (a sign-up,
// a comment, a checkout, a support ticket, …) and writes benign.jsonl. The pieces are chosen to look like
// what people actually send, including what trips naive filters: apostrophes, SQL words in prose,
// semicolons, ampersands, quotes, Windows paths, prices with $, markdown and code-ish text.

export const names = [
  "Siobhán O'Brien", "D'Angelo Russell", "Patrick O'Neil-Murphy", "Zoë Saldaña", 'José Núñez García', '王小明', 'Ólafur Arnalds', 'Nguyễn Thị Minh Khai', 'Jean-Luc Picard',
  "Mary-Kate O'Connor", 'Müller-Lüdenscheidt', 'A. J. van der Berg', 'St. John Smythe', 'Renée Zellweger', 'Björk Guðmundsdóttir', 'Łukasz Żuławski', 'Ana María de la Cruz',
  'Aditi Rao Hydari', 'Chloë Grace', "Dara Ó Briain", 'Søren Kierkegaard', "Conan O'Brien", 'Dr. Amara Okafor', 'Leah Cohen-Friedman', 'Kwame Nkrumah Jr.', 'Иван Петров',
  'Αλέξανδρος Παπαδόπουλος', 'محمد الأحمد', 'Yuki Tanaka (田中 由紀)', 'Émile Zola', "Sinéad O'Connor", 'François-Xavier Dupont', 'Mr. & Mrs. Smith', 'Lee Min-ho',
  'Priya Patel', 'Tomás Ó Súilleabháin', 'Ngozi Adichie', 'Hans-Peter Schmidt', 'Maria da Graça', "Anne-Marie D'Arcy", 'Raphaël Varane', 'Jürgen Klopp', 'Kim Nguyen',
  'Pedro Pascal', 'Ramón y Cajal', 'Sam Smith', 'Jessica Alba', "O'Shea", 'N. Tesla', 'bob', 'Ada Lovelace', 'Grace Hopper', 'Linus Torvalds', 'Margaret Hamilton',
];

export const emails = [
  "pat.o'brien@example.ie", 'jean-luc@example.fr', 'zoe+newsletter@example.com', 'kim_nguyen@example.co.uk', 'ada@lovelace.example', 'first.last@sub.example.org',
  'support@example.com', 'user123@example.net', 'maria.garcia@example.es', 'o.arnalds@example.is', 'dev-team@example.io', 'a@b.co', 'hans.peter@example.de',
  'priya.patel@example.in', 'noreply+tag@example.com', 'yuki.tanaka@example.jp', 'ceo@startup.example', 'billing@example.com', 'x@example.museum', 'j.smith@example.ac.uk',
];

export const addresses = [
  "12 O'Connell Street, Dublin 1, D01 F5P2, Ireland", 'Apt #4B, 221B Baker Street, London NW1 6XE', '1600 Amphitheatre Pkwy, Mountain View, CA 94043',
  'Unter den Linden 77, 10117 Berlin', '〒150-0002 東京都渋谷区渋谷2-21-1', 'P.O. Box 123; Suite 5, Anchorage, AK 99501', '350 Fifth Avenue, 34th Floor, New York, NY 10118',
  'Rue de Rivoli 99, 75001 Paris', 'Calle de Alcalá 42, 3º Izq., 28014 Madrid', 'Av. Paulista, 1578 - Bela Vista, São Paulo - SP, 01310-200', 'Flat 2/1, 14 Byres Road, Glasgow G11 5JY',
  '1 Infinite Loop (Bldg 3), Cupertino, CA 95014', "Unit 7, St. Mary's Court, Cork T12 X8K1", 'Ул. Тверская, д. 7, Москва, 125009', 'Plot 23 & 24, Industrial Area, Nairobi',
  'Via dell\'Indipendenza 8, 40121 Bologna', '10 Downing St, Westminster, London SW1A 2AA', 'Bahnhofstrasse 21, 8001 Zürich', '5/12 Collins St, Melbourne VIC 3000',
  'c/o Acme Corp, 500 Market St., Suite #200, San Francisco, CA 94105', "Rua Augusta 274, 1100-053 Lisboa", 'Near the old mill; 3rd house on the left, Kilkenny',
];

export const phones = ['+1 (555) 123-4567', '+44 20 7946 0958', '+353 1 234 5678', '+49 30 123456', '+81 3-1234-5678', '555-0199', '(555) 010-2030 ext. 42', '+33 1 23 45 67 89', '+91 98765 43210', '0800 123 456'];

export const passwords = ['correct horse battery staple', 'Xk9#mP2$vL!q', 'hunter2', 'S0mething-Long-And-Random', 'P@ssw0rd2024!', 'tr0ub4dor&3', 'g7$Hq!2zR^pW', 'my dog is called Rex!', 'Summer2024', 'aB3dE5-fG7hI9'];

/** Reviews, tickets, chat lines, notes: everyday sentences, several using SQL or shell words. */
export const prose = [
  'Please select the best option from our menu; drop by anytime!',
  "It's the best pizza in town, and the staff's really friendly.",
  "I'd like to update my shipping address before the order ships, if that's OK.",
  'Union Square store was closed today — sign said "back in 5 min" for an hour.',
  'Can you drop the price if I order 2 or 3 of them?',
  'Select your size from the list, then click "Add to cart".',
  "Don't forget: the meeting's at 10:30 (not 11:00) in room B.",
  'Loved it!!! 5/5 would buy again :)',
  "The delivery guy left it at my neighbour's door; please tell him to knock next time.",
  'Order #10234 arrived damaged. The box was wet & the lid cracked.',
  'Where can I find the "Terms & Conditions"? The link in the footer is broken.',
  'We sleep 8 hours and still feel tired — is the mattress the problem?',
  "Insert the tab into slot A, then fold along the dotted line. Don't glue it yet!",
  'Delete my account please; I no longer use this service.',
  'Thanks for the quick reply. Cheers, Tom',
  'Is the café open on Sundays? Also, do you have oat milk?',
  "My kid's school uses your app — we love it, but the font's tiny on iPad.",
  'Price was $49.99 yesterday and now it says $59.99. What happened?',
  'I paid with PayPal but the status says "pending" (2 days now).',
  'Meet me at Joe\'s Bar & Grill, 7pm; bring the tickets.',
  'Rock & roll never dies. Neither does my love for this band.',
  'Union select committee met on Tuesday to discuss the budget.',
  'Can I exchange size M for L? The fit is a bit tight around the shoulders.',
  'The product description says "waterproof" but it leaked after 10 minutes in the rain.',
  'Great service, 10/10. Will recommend to friends & family.',
  "What's the difference between the Pro and the Pro+ plan?",
  'I ordered a black one, but got a navy one; not a big deal, just letting you know.',
  "Hi! I'm having trouble logging in — it says my password's wrong but I just reset it.",
  'Please cancel order 5567 and refund to the original card.',
  'Drop table tennis practice this week; the hall is booked.',
  "He's 6'2\" and wears size 11 shoes.",
  'Shipping to Northern Ireland: is it domestic or international?',
  'Temperature was 30°C (86°F) so the chocolate melted. Sad face.',
  'My order (#A-7781) is 3 days late. Any update?',
  "Note to self: call Mom re: Sunday's lunch; buy flowers.",
  'Can we move the call to 3 or 4 pm? 2 pm clashes with a dentist appointment.',
  "The app crashes when I tap 'Export' on an empty list.",
  'Is 1 or 2 tablespoons of sugar right for this recipe?',
  'Fantastic hike! Trail was muddy; boots recommended.',
  'Please remove me from the mailing list. Thanks.',
  "We're a team of 12; do you offer group discounts?",
  'The wifi password on the receipt (\"guest2024\") does not work.',
  "I'd rate it 4 out of 5 — the battery's great, the camera's so-so.",
  'My username is "the_real_bob"; can I change it?',
  "It's 50% off until Friday, right? The banner says so.",
  "Order or reservation? I'm not sure which one I made.",
  'Just select all and drag them into the folder.',
  'Our union meeting is on the 5th; please select a date for the next one.',
  "Where's the 'Update' button? I can't see it on mobile.",
  "I've been a customer since 2015 & I've never had an issue until now.",
  'This is a <b>bold</b> claim, but this is the best coffee I\'ve had.',
  'Sizes: S/M/L/XL — I went for M and it fits perfectly.',
  'Bought 3x for the office; colleagues love them.',
  'Please confirm: delivery window is 8am-12pm, correct?',
  "Dear team, I would like to update my billing details; my new card ends in 4242.",
  'Had the salmon & chips; portion size was huge.',
  'Check-in at 3 pm; check-out at 11 am. Late check-out possible?',
  'Lost my keys somewhere between the bus stop & the office. Anyone found them?',
  "Yes — and no. It depends on what 'soon' means.",
  "I'm 100% sure I entered the right code: SAVE20.",
  'The sleep timer on the TV app stops after 30 mins instead of 60.',
  'Would you ship to a P.O. box? My building has no concierge.',
  'Can you send the invoice as a PDF? My accountant needs it by the 31st.',
  "Where do I select 'gift wrap'? It isn't in the checkout options.",
  'First impressions: solid build, clear screen, average speakers; overall 8/10.',
  'Hey, quick question - is there a student discount?',
  'Ordered on 2024-03-14, still "processing". Order ref: 88-21-XK.',
  'The instructions say "insert battery (+) side up" but the diagram shows it the other way.',
  "We'll be there around 7 or 8; save us a table for 4, please.",
  'Love the new update; the dark mode is *chef\'s kiss*.',
  "Your 'contact us' form didn't work, so I'm writing here.",
  'Do you have this in size 38 (EU)? Or 5 (UK)?',
  'Please drop the package at the back door; the front one is being painted.',
  'Could you delete the duplicate order? I clicked twice by mistake.',
  'From the menu, select Settings > Privacy > Download my data.',
  'Great value for money & fast delivery.',
  'I said "or else" as a joke, don\'t worry!',
  'It took 1-2 weeks, as promised.',
  'This is the 2nd time the courier has lost my parcel :(',
];

/** Markdown a user might write in a bio, a README field or a comment. */
export const markdown = [
  '# My project\n\nA small tool that **converts** CSV to JSON.\n\n## Install\n\n```\nnpm install csv2json\n```\n\nSee [the docs](https://example.com/docs) for more.',
  "## About me\n\n- I'm a *backend* developer\n- I like Rust, Go & TypeScript\n- Based in Dublin 🇮🇪",
  '| Name | Qty | Price |\n|---|---:|---:|\n| Apples | 3 | $1.20 |\n| Pears | 2 | $0.90 |',
  '| id | name | email |\n|----|------|-------|\n| 1 | Ana | ana@example.com |\n| 2 | Bo | bo@example.com |',
  '> "Simplicity is prerequisite for reliability." — Dijkstra\n\nThat quote sums up our approach.',
  'Steps to reproduce:\n1. Open the app\n2. Tap **Settings**\n3. Select "Export"\n4. Observe the crash',
  'Read [the guide](../guide.md) and the [FAQ](./faq.md) before filing an issue.',
  'Run `npm test` before pushing; CI runs the same thing.',
  '**Update:** fixed in v2.3.1 — thanks @maria for the report!',
  "Here's the image: ![screenshot](https://images.example.com/shot-01.png)",
  '### Changelog\n\n* Added: dark mode\n* Fixed: crash on empty list (#123)\n* Changed: default sort is now by date',
  '_Note_: the API returns `null` for missing fields, not an empty string.',
  '~~Old price $20~~ **New price $15**',
  'TODO:\n- [x] write tests\n- [ ] update README\n- [ ] release 1.0',
  'Use the `--verbose` flag to see more output, e.g. `mytool --verbose build`.',
  'Footnote test[^1].\n\n[^1]: This is the footnote.',
  'Link to issue: https://github.com/example/repo/issues/42 (see comment by @dev).',
  '## Recipe\n\n1. Preheat oven to 180°C\n2. Mix flour & sugar\n3. Bake 25–30 min',
  'Inline math like 2 + 2 = 4 and x * y are fine in our markdown renderer.',
  '```json\n{ "name": "demo", "price": "$9.99" }\n```',
  "Emphasis with _underscores_ and **stars**; a [link](https://example.org 'title').",
  '<!-- hidden comment -->\nVisible text.',
  'Press <kbd>Ctrl</kbd> + <kbd>C</kbd> to copy.',
  'H~2~O and E = mc^2^ render with the extension enabled.',
];

/** How developers write to each other about code, in tickets and chat (no exemption needed). */
export const codeish = [
  'Use Array.prototype.map() instead of a for loop here.',
  'SELECT statements are faster once the index on user_id exists.',
  'The regex ^[a-z0-9_]+$ only matches lowercase usernames.',
  'Set NODE_ENV=production before you start the server.',
  'I think the bug is in utils/format.ts, line 42: it returns undefined.',
  'Call fetchUser(id) and then render the profile.',
  'Our API returns 404 when the item is missing and 409 on a conflict.',
  'Try git pull --rebase origin main before pushing.',
  'The config file lives in ~/.config/app/settings.json on Linux.',
  'On Windows the logs are in %APPDATA%\\MyApp\\logs.',
  'The function signature is parse(input: string, opts?: Options): Result.',
  'Timeouts are in milliseconds, so 3000 means 3 seconds.',
  'We use PostgreSQL 16 with a read replica; writes go to the primary.',
  'If x > 10 and y < 5, the validator rejects the form.',
  'The JSON field "$schema" points to draft 2020-12.',
  'Use const instead of let when the value never changes.',
  'Docker image is node:22-alpine; build with docker build -t app .',
  'The cron expression */5 * * * * runs every five minutes.',
  'Python: use list comprehensions like [x * 2 for x in items].',
  'The error says "Cannot read properties of undefined (reading \'name\')".',
  'Version 1.2.3 fixes the memory leak in the cache layer.',
  'The endpoint is POST /v1/orders with a JSON body.',
  'In SQL, a LEFT JOIN keeps rows from the left table even without a match.',
  'Use the Sort by: Price (low to high) option to compare.',
  'CSS: .btn:hover { color: #fff; background: #0070f3; }',
  'The pipeline has three stages: build, test & deploy.',
  'Java 21 records make DTOs much shorter.',
  'Rust: cargo build --release produces the optimised binary.',
  'The issue is a race condition between save() and load().',
  'HTTP status 418 is a joke from RFC 2324.',
  'The default port is 8080; change it with the PORT environment variable.',
  'Kubernetes liveness probes hit /healthz every 10s.',
  'A || B is true when either is true; A && B needs both.',
  'The template uses {{ title }} and {{ author }} placeholders.',
  'Hello ${name} is how template literals look in JavaScript.',
  "Import it with import { parse } from 'csv-parse';",
  'The date format is YYYY-MM-DD, e.g. 2024-05-01.',
  'Big-O of binary search is O(log n).',
  'The cache key is user:{id}:profile.',
  "Typing 'rm' without arguments just prints the usage.",
];

/** Prose with Windows paths, as in tickets from Windows users. */
export const windowsProse = [
  'Copy the file to C:\\Users\\Ann\\Documents\\report.docx and open it in Word.',
  'The installer put everything under C:\\Program Files (x86)\\Acme\\Tool; is that right?',
  'Logs are in C:\\ProgramData\\Acme\\logs\\app.log — attached the last 100 lines.',
  'I saved it to D:\\Backups\\2024\\photos but the app cannot find it.',
  'Edit C:\\Windows\\System32\\drivers\\etc\\hosts as administrator to add the entry.',
  'The share is \\\\fileserver\\team\\projects\\Q3; I have read access only.',
  'Error: could not open "C:\\Users\\Public\\Desktop\\notes.txt" (access denied).',
  'My OneDrive folder is C:\\Users\\kim.nguyen\\OneDrive - Example Ltd\\Invoices.',
];

/** URLs to public hosts, as users paste them. */
export const urls = [
  'https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s', "https://en.wikipedia.org/wiki/O'Reilly_Media", 'https://github.com/nodejs/node/issues/12345#issuecomment-987654321',
  'http://example.org:8080/path/to/page', 'https://maps.google.com/?q=48.8584,2.2945', 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
  'https://1.1.1.1/dns-query', 'https://[2606:4700:4700::1111]/dns-query', 'https://api.stripe.com/v1/charges', 'https://example.com/search?q=caf%C3%A9&lang=fr',
  'https://shop.example.com/products/123?utm_source=newsletter&utm_medium=email&utm_campaign=spring_sale', 'https://docs.python.org/3/library/os.path.html',
  'https://www.amazon.co.uk/dp/B08N5WRWNW/ref=sr_1_1?keywords=kindle', 'https://calendar.example.com/event?id=abc123&start=2024-05-01T10:00:00Z',
  'https://user:token@git.example.com/org/repo.git', 'https://cdn.example.net/img/logo@2x.png', 'https://8.8.8.8/',
  'https://xn--bcher-kva.example/', 'https://example.com/?redirect=https%3A%2F%2Fexample.org%2Fhome', 'https://forms.example.com/f/1FAIpQLSd?usp=sf_link',
  'https://news.ycombinator.com/item?id=38912345', 'https://www.bbc.co.uk/news/technology-67890123', 'https://stackoverflow.com/questions/11227809/why-is-processing-a-sorted-array-faster',
  'https://example.com/files/report%20(final).pdf', 'https://zoom.us/j/1234567890?pwd=abcDEF123', 'https://open.spotify.com/track/4cOdK2wGLETKBW3PvgPWqT',
  'https://www.google.com/search?q=%22exact+phrase%22+-exclude', 'https://meet.example.com/abc-defg-hij', 'ftp://ftp.gnu.org/gnu/emacs/',
  'https://example.com/#/dashboard?tab=settings', 'https://api.example.com/v2/users/42/orders?status=open&limit=50', 'https://twitter.com/example/status/1234567890',
];

/** What people type in a search box. */
export const searches = [
  "o'reilly books", 'c# tutorial', 'c++ vs rust', '50% cotton t-shirt', 'select committee report', 'drop shipping suppliers', 'union jack flag', 'sleep apnea treatment',
  'cat & dog toys', 'what is 2+2', '1/2 cup sugar in grams', "rock'n'roll records", '"exact phrase"', 'laptop -refurbished', 'site:example.com pricing', 'café near me',
  'update iphone', 'delete facebook account', 'how to exit vim', 'where is /etc/hosts on mac', 'insert table word', 'order by date', 'ls command options', 'ping pong table',
  "mother's day gifts", 'size 10 1/2', 'usb-c to hdmi', '$100 gift card', 'ssd 1tb', 'the who tickets', 'R&B playlist', 'AT&T support', 'ben & jerry\'s', 'johnson & johnson',
  'what does "or" mean in logic', 'echo dot', 'cat food 5kg', 'python sleep function', 'rm -rf meaning', 'java or kotlin', 'sql injection prevention', 'apostrophe in names',
  '東京 ラーメン', 'München Hotel', 'Zürich Wetter', 'смартфон', 'قهوة', 'restaurants & bars', 'ab test', 'x-ray', 'co-op', 'M&S', 'Q&A', 'tab; space', 'wait...', '...',
];

export const titles = [
  "Winter Sale: 30% off everything (today only!)", 'Team offsite — Q3 planning', "Mom's 60th birthday 🎉", 'Release 2.4.0 "Bunny"', 'Standup / sync', 'Dentist (Dr. Lee)',
  'Book club: "Pride & Prejudice"', 'Quarterly review: revenue ↑ 12%', 'Fix: crash when list is empty', 'Café opening @ 5th Ave', "Kids' football (U10)", 'Lunch & learn: TypeScript 5',
  'Re: Your order #8832', 'Fwd: invoice 2024-04', 'Ideas for v3', 'Garage sale — everything must go!', 'Yoga (bring a mat)', '1:1 with Sam', 'Coffee ☕ + code', "New Year's Eve party",
];

/** Text in many scripts, and emoji. */
export const international = [
  'こんにちは、注文の配送状況を教えてください。', '您好，我想修改我的收货地址。', 'Здравствуйте! Когда будет доставка?', 'مرحبا، أريد إلغاء طلبي من فضلك.', 'שלום, מתי ההזמנה שלי תגיע?',
  'Γεια σας, θα ήθελα να αλλάξω το μέγεθος.', 'नमस्ते, मेरा ऑर्डर कब आएगा?', 'Xin chào, tôi muốn đổi địa chỉ giao hàng.', 'Olá! Vocês entregam em Portugal?', '¿Dónde está mi pedido? ¡Gracias!',
  'Grüß Gott! Können Sie nach Österreich liefern?', "Bonjour, c'est possible d'échanger l'article ?", 'Ciao! Il pacco è arrivato danneggiato.', 'Hej! Kan ni leverera till Sverige?',
  '안녕하세요, 주문을 취소하고 싶어요.', 'สวัสดีครับ ขอเปลี่ยนที่อยู่จัดส่ง', 'Merhaba, siparişim nerede?', 'Dzień dobry, czy mogę zmienić rozmiar?', 'Great job team 🎉🚀👏', '❤️ love it 😍',
  'ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ ｌｏｏｋｓ ｌｉｋｅ ｔｈｉｓ', 'ｶﾀｶﾅ halfwidth and ①②③ circled numbers', 'naïve façade coöperate résumé', 'Ⅻ o\'clock and ﬁne ligatures',
];

export const userAgents = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'curl/8.5.0', 'python-requests/2.31.0', 'PostmanRuntime/7.37.3', 'okhttp/4.12.0', 'Go-http-client/2.0', 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80',
  'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', 'Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)',
  'Dalvik/2.1.0 (Linux; U; Android 13; SM-S911B Build/TP1A.220624.014)', 'MyCompanyApp/3.2.1 (iOS 17.4; iPhone15,2; Scale/3.00)',
];

export const cookies = [
  '_ga=GA1.2.1234567890.1714550000; _gid=GA1.2.987654321.1714550000', 'session=eyJ1c2VyIjoiYWRhIiwicm9sZSI6InVzZXIifQ.ZjFiYw.a1b2c3d4e5f6; theme=dark',
  'lang=en-GB; consent=%7B%22ads%22%3Afalse%2C%22analytics%22%3Atrue%7D', 'csrftoken=Xy7kP2mQ9vL4nR8tW1zB5cH3; sessionid=q8w7e6r5t4y3u2i1',
  '__Host-sid=9f86d081884c7d659a2feaa0c55ad015; __Secure-pref=compact', 'cart=%5B%7B%22sku%22%3A%22A-1%22%2C%22qty%22%3A2%7D%5D', 'tz=Europe%2FDublin; currency=EUR',
  'AWSALB=Qm9vbXNoYWthbGFrYQ==; AWSALBCORS=Qm9vbXNoYWthbGFrYQ==', 'remember_me=1; last_visit=2024-05-01T10%3A00%3A00Z',
];

export const referers = [
  'https://www.google.com/', 'https://duckduckgo.com/', 'http://localhost:3000/checkout', 'https://app.example.com/settings/profile', 'https://t.co/AbCdEfGh12',
  'http://127.0.0.1:5173/', 'https://www.bing.com/search?q=bulwark+faas', 'https://example.com/blog/why-we-moved-to-serverless',
];

/** Code people store in a snippet tool: the `snippets` function exempts body.snippet and query.q. */
export const snippets = [
  "SELECT name, email FROM users WHERE id = 1 OR status = 'active'; -- find users",
  "DROP TABLE IF EXISTS tmp_orders;\nCREATE TABLE tmp_orders AS SELECT * FROM orders WHERE created_at > now() - interval '1 day';",
  "const { exec } = require('child_process');\nexec('ls -la', (err, out) => console.log(out));",
  "import os\nos.system('rm -rf /tmp/build && mkdir /tmp/build')",
  '#!/bin/bash\nfor f in *.log; do gzip "$f"; done\ncat /etc/passwd | cut -d: -f1',
  "<script>\n  document.getElementById('out').textContent = eval('2 + 2');\n</script>",
  "fs.readFileSync('../../config/settings.json', 'utf8')",
  "fetch('http://localhost:8080/api/health').then(r => r.json())",
  '<?xml version="1.0"?>\n<!DOCTYPE note SYSTEM "note.dtd">\n<note><to>Tove</to></note>',
  "Hello {{ user.name }}! Your total is {{ 7 * price }}.",
  '$query = "SELECT * FROM posts WHERE author = \'" . $author . "\'";',
  "UNION SELECT is how the classic injection extracts columns: ' UNION SELECT username, password FROM users--",
  'curl -s https://get.example.sh | sh',
  "const payload = { $where: 'this.credits > 100' };",
  'obj.__proto__.isAdmin = true; // demo of prototype pollution',
  'template = "${7*7}" # Spring EL check',
  'O:8:"stdClass":1:{s:3:"foo";s:3:"bar";}',
  "process.env.PORT || 3000",
  'ping -c 4 192.168.1.1 && traceroute 10.0.0.1',
  "x = `whoami`; puts x",
];

export const languages = ['sql', 'javascript', 'python', 'bash', 'html', 'php', 'ruby', 'xml', 'go', 'text'];

export const filenames = [
  'Q3 report (final).xlsx', 'IMG_2024-05-01_12-30-45.jpg', "Mum's recipes.docx", 'invoice #8832.pdf', 'résumé-2024.pdf', 'notes & todos.txt', 'Project Plan v2.1 [DRAFT].pptx',
  'data_export_2024-04-30.csv', 'screenshot 2024-05-01 at 10.00.00.png', 'contract_signed.pdf', 'logo@2x.png', 'budget 50-50 split.xlsx', '東京旅行.jpg', 'README.md', 'archive.tar.gz',
];

export const tags = ['urgent', 'billing', 'c#', 'c++', 'node.js', 'q&a', 'how-to', 'bug', 'feature-request', 'r&d', 'front-end', 'n/a', 'wip', '2024', 'v2.0', 'follow-up', 'café', 'ux/ui'];

/** Benign XML documents (no DTD). */
export const xmlDocs = [
  '<?xml version="1.0" encoding="UTF-8"?>\n<order id="10234"><item sku="A-1" qty="2">Apples &amp; pears</item><note>Leave at the back door; thanks!</note></order>',
  '<?xml version="1.0"?><note><to>Tove</to><from>Jani</from><heading>Reminder</heading><body>Don\'t forget me this weekend!</body></note>',
  '<feed xmlns="http://www.w3.org/2005/Atom"><title>Example Feed</title><link href="https://example.org/"/><entry><title>Q&amp;A: select the right plan</title></entry></feed>',
  '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetPrice><Item>Apples</Item></GetPrice></soap:Body></soap:Envelope>',
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="#0070f3"/></svg>',
  '<?xml version="1.0"?><invoice><customer>O\'Brien &amp; Sons</customer><total currency="EUR">129.95</total></invoice>',
  '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>News</title><item><title>Union votes to select new chair</title></item></channel></rss>',
];

/** Plain text and CSV bodies. */
export const textBodies = [
  'name,email,city\n"O\'Brien, Pat",pat@example.ie,Dublin\n"Núñez, José",jose@example.es,Madrid',
  'Meeting notes 2024-05-01\n- Ana: select vendor by Friday\n- Bo: drop the legacy export; nobody uses it\n- Next: 3pm Thursday',
  'Hi team,\n\nThe build passed. Deploying at 5pm; shout if that is a problem.\n\nCheers,\nKim',
  'sku;qty;price\nA-1;2;$1.20\nB-7;1;$15.00',
  'Dear Sir or Madam, I am writing to update my address. Kind regards, Émile',
  'date\tamount\tnote\n2024-04-01\t12.50\tcoffee & cake\n2024-04-02\t3.20\tbus',
];

/** Chat and social posts: emoticons, hashtags, mentions. */
export const social = [
  'lol that was amazing ;-) see you tmrw', "can't wait!!! <3 <3", 'ugh, mondays >_<', 'ok ^_^', '(╯°□°)╯︵ ┻━┻ deploy failed again', '#tbt to our first office #startup #blessed',
  '@maria thanks for the tip! 🙏', 'brb, coffee ☕', 'Who else is going to the gig on Sat? 🎸 #live', '10/10 would recommend :D', 'omg the ending!!! no spoilers pls', 'gg wp',
  "that's what she said ¯\\_(ツ)_/¯", 'RT @news: Markets close higher; tech leads gains', 'new blog post -> https://blog.example.com/2024/05/hello-world', 'me: *opens fridge* also me: *closes fridge*',
  'Is it pronounced "gif" or "jif"? Asking for a friend.', 'happy bday!! 🎂🎉 have a great one', '1, 2, 3... go!', 'A/B test results: B wins by 4.2% (p < 0.05)',
];

/** Product and listing descriptions. */
export const listings = [
  'Dimensions: 12" x 8" x 3" (30 x 20 x 7.5 cm); weight 1.2 lb.', '1/2" copper pipe, 10 ft; sold per length.', 'Includes: 1x charger, 2x cables (USB-C & Lightning), manual.',
  "Women's running shoes — breathable mesh; sizes 5–11.", 'Set of 4 mugs (350 ml each). Dishwasher & microwave safe.', 'Vintage 1970s lamp; minor wear, works perfectly. Pick-up only!',
  'Organic cotton tee — 100% GOTS-certified; pre-shrunk.', 'Gaming PC: Ryzen 7 7800X3D / RTX 4070 / 32GB DDR5 / 2TB NVMe', 'Ex-display sofa, 3-seater, grey; £450 ono.',
  'Kids\' bike (ages 5-8) with stabilisers & bell.', 'Price: $1,299.00 (save $200!) — limited time only', 'Apartment: 2 bed / 1 bath, 75 m², 3rd floor (no lift); €1,450/month + bills.',
  'SELECT Comfort mattress, queen size, 2 years old', 'Union-made work boots, steel toe, size 10', 'Drop-leaf table, oak, seats 4-6',
];

/** Legal, policy and formal text. */
export const formal = [
  'Pursuant to Section 3(a)(ii), the Licensee shall not sublicense the Software; see also §4.2.', 'Terms & Conditions apply. Offer valid 01/05/2024–31/05/2024 or while stocks last.',
  'The parties agree that (i) payment is due within 30 days; and (ii) late payments incur interest at 2% p.a.', 'Ref: INV-2024/0042; PO #7781-B; Contract No. 12-345/A',
  'Minutes of the Board meeting held on 12 April 2024 (quorum: 5 of 7 members present).', 'This e-mail and any attachments are confidential. If you are not the intended recipient, please delete it.',
  'Article 17 GDPR ("right to erasure"): please delete all personal data you hold about me.', 'Annex B — Data Processing Agreement (DPA) v3.1, effective 2024-06-01.',
];

/** What developers paste into support tickets: log lines, commands they ran, config. */
export const devTickets = [
  'I ran npm install and then npm run build; the build fails with "Cannot find module \'./config\'".',
  'Error: connect ECONNREFUSED 127.0.0.1:5432 — is the database down on your side or mine?',
  '2024-05-01T10:00:00Z ERROR [worker-3] job 8812 failed after 3 retries (timeout=30s)',
  'Steps: 1) git clone the repo, 2) cd app, 3) docker compose up -d, 4) open the dashboard.',
  'My .env has API_URL=https://api.example.com and API_KEY set; still getting 401.',
  'The CSV export puts quotes around every field: "name","email" — can that be turned off?',
  'Python 3.12, Django 5.0; the migration fails on ALTER TABLE with a lock timeout.',
  'Response headers show Cache-Control: no-store; is that expected for /api/products?',
  'Config snippet: { "retries": 3, "backoff": "exponential", "timeout": "10s" }',
  "TypeError: Cannot read properties of null (reading 'map') at ProductList.render (ProductList.jsx:42)",
  'Our nightly cron (0 2 * * *) stopped running after the upgrade to v4.',
  'Works in Chrome 124 but not in Safari 17.4; the console shows a CORS error.',
  'Rate limit: we get HTTP 429 after ~100 req/min; docs say 600/min.',
  'The webhook payload has "amount": "12.50" as a string; the docs say number.',
  'Windows 11, PowerShell 7.4: the installer exits with code 1603.',
  'Stack trace attached (trace.txt, 2 KB). Happens on every third upload.',
];

/**
 * Written after the detectors, as a check: each is sent once, as a support-ticket body. Three were
 * flagged and still are: a shell command pasted in prose (`cd /var/www && ls -la`) and two internal
 * URLs (http://localhost:8080/admin, http://192.168.0.1). A function whose users paste such things in
 * a free-text field exempts the field (docs/guards/injection.md).
 */
export const secondBatch = [
  "I tried cd /var/www && ls -la but the folder is empty.",
  "How do I escape a single quote in SQL, e.g. WHERE name = 'O''Brien'?",
  "Why does WHERE a = 1 OR b = 2 ignore my index?",
  "Our script does: curl -s https://api.example.com/health | jq .status",
  "Error 500 at https://shop.example.com/cart?id=42&coupon=SAVE10",
  "The address is 10 Downing St; please ring twice.",
  "\"Hello,\" she said, \"it's been a while.\"",
  "Rating: ★★★★☆ (4/5)",
  "Prices: small $3.50 | medium $4.25 | large $5.00",
  "Use the coupon code 'SUMMER-24' at checkout.",
  "Dinner for 2 @ 8pm; table by the window if possible :)",
  "He wrote \"DROP everything and call me\" on the whiteboard.",
  "The kids built a fort out of boxes & blankets; total chaos.",
  "Monday–Friday 9:00–17:30; Saturday by appointment.",
  "Go to Settings → Account → Delete account (this can't be undone!).",
  "Can you add an \"OR\" option to the search filter?",
  "Select * from our bakery menu — everything's homemade!",
  "My Wi-Fi SSID is \"Home_5G\"; password has a # in it.",
  "{\"note\": \"customer prefers email\", \"priority\": \"low\"}",
  "Is it normal that the app uses 1.2 GB of RAM?",
  "I'm at 192.168.1.20 on the office network and can't reach the printer.",
  "Server is at db-01.internal.example.com, port 5432.",
  "Visit us at example.com/store or call 555-0100.",
  "ssh me@myserver.example.com -p 2222 works, but scp fails.",
  "The manual says to press Ctrl+Alt+Del; then select Task Manager.",
  "Our motto: \"Work hard & be kind.\"",
  "Batch #2024-05-A shipped on 05/02; tracking 1Z999AA10123456784.",
  "Weight: 2 lbs 3 oz (approx. 1 kg)",
  "I'd say 7/10 — good, but the sequel's better.",
  "C:\\> dir /s shows 0 files in the folder",
  "She's the CEO of O'Reilly & Sons Ltd.",
  "<p>Hello <strong>world</strong></p>",
  "Thanks!! :-) -- Bob",
  "=SUM(A1:A10) returns #VALUE! in my spreadsheet",
  "Please update my email to new.address@example.com; the old one is closed.",
  "What's 15% of $240? I need it for the tip.",
  "Hours: Mon-Fri 8-6, Sat 9-1, Sun closed",
  "Is there a limit of 1 per customer?",
  "Apartment 4B; buzz 'Smith' at the door.",
  "Cancel or pause? I just want to skip June.",
  "We moved from MySQL to Postgres last year.",
  "Echo Dot (5th gen) won't connect to Wi-Fi.",
  "If cat sits on keyboard, just ignore the gibberish lol",
  "Please find attached the signed contract (v3, final, really final).",
  "50/50 raffle tickets: $5 each or 5 for $20.",
  "Version 3.0.1 (build 4521) — release notes at https://example.com/releases/3.0.1",
  "Our office: 2nd floor, room #214; visitors sign in at reception.",
  "Sleep well & see you tomorrow!",
  "The meeting ID is 845 2231 9087; passcode 451277.",
  "Can I select multiple dates? The calendar only lets me pick one.",
  "I run Linux (Ubuntu 22.04) & Windows 11 dual boot.",
  "Set reminder: \"Take pills @ 8am & 8pm\"",
  "Why is my bill $0.00 this month?",
  "Use `SELECT COUNT(*) FROM orders` to check the total.",
  "In bash, `cat file.txt | grep error` finds the errors.",
  "I updated the cron to run at 0 */6 * * * instead.",
  "localhost:3000 shows a blank page after npm start",
  "http://localhost:8080/admin returns 403 on my machine",
  "My router admin page is http://192.168.0.1",
];
