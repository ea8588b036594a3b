import { parsePriceTable, priceTable, pricesIn, regionsOf, PRICE_NAMES } from '../../../../lib/shared/pricing/prices';

describe('the price table', () => {
  it('has every price for us-east-1 and eu-west-1, each with its AWS pricing page and the date it was read', () => {
    const table = priceTable();
    expect(regionsOf(table)).toEqual(expect.arrayContaining(['eu-west-1', 'us-east-1']));
    for (const name of PRICE_NAMES) {
      const price = table.prices[name];
      expect(price.page).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(price.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(price.from).toMatch(/Re-check/);
    }
  });

  it('names the prices a region lacks', () => {
    expect(() => pricesIn(priceTable(), 'ap-south-1')).toThrow(
      /no ap-south-1 price for kinesisShardHour, .*regions with every price: eu-west-1, us-east-1/,
    );
  });

  it('rejects a price without its page, naming the field', () => {
    const table = JSON.parse(JSON.stringify(priceTable()));
    delete table.prices.kmsKeyMonth.page;
    expect(() => parsePriceTable(table, 'prices.yml')).toThrow(/prices.yml is invalid[\s\S]*kmsKeyMonth\.page/);
  });
});
