// Helpers of the bank application, loaded once by root.vxml into
// application scope.

// The <account> elements of the accounts document (a <data> DOM) as plain
// objects, so <foreach> can walk them.
function accountList(doc) {
  var nodes = doc.documentElement.getElementsByTagName('account');
  var list = [];
  for (var i = 0; i < nodes.length; i++) {
    var account = nodes.item(i);
    list.push({
      name: account.getAttribute('name'),
      balance: Number(account.getAttribute('balance'))
    });
  }
  return list;
}

// 1250.5 -> "1250 dollars and 50 cents"
function formatAmount(amount) {
  var cents = Math.round(amount * 100);
  var dollars = Math.floor(cents / 100);
  return dollars + ' dollars and ' + (cents - dollars * 100) + ' cents';
}
